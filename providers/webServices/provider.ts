// Site setting `enablewebservices` (Site administration > General > Advanced features).
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CONNECTION_KEYS, checkInputs, connectionOf, connectionSchema, diffFields, isUnknown, moodleFor, pick } from "../shared/common";
import { connectionFor } from "../shared/moodleConnection";
import { asCheckFailures, PreflightNeeds, preflightProblems } from "./preflight";
import { takeReceipt, writeReceipt } from "../process/preflightReceipt";
import { WEB_SERVICES, switchOffUnlessNeeded } from "../shared/stillNeeded";

const shape = { ...connectionSchema, enabled: z.boolean() };
const INPUT_KEYS = [...CONNECTION_KEYS, "enabled", "preflight"];

/**
 * Whether the whole plan's preconditions must be checked now: on the first run, and whenever what
 * they depend on changed (a replaced Docker Moodle changes `preflight.moodleInstance`). A no-op run
 * reads nothing more. Skipped while inputs are unknown: a preview of a stack whose Moodle this same
 * update creates or replaces, which must not be asked anything before it runs.
 */
function needsPreflight(olds: Record<string, unknown>, news: Record<string, unknown>): boolean {
  if (!news.preflight || isUnknown(news)) return false;
  const basis = (p: Record<string, unknown>) => JSON.stringify([p.moodleUrl, p.adminUser, p.preflight ?? null]);
  return Object.keys(olds).length === 0 || basis(olds) !== basis(news);
}

export const webServices: pulumi.dynamic.ResourceProvider = {
  async check(olds, news) {
    const result = checkInputs(shape, news);
    if (result.failures?.length || !needsPreflight(olds, news)) return result;
    const connection = connectionOf(news);
    const needs = news.preflight as PreflightNeeds;
    // The update pass of a `pulumi up` takes the receipt its preview pass left (preflightReceipt.ts).
    const basis = { connection: connectionFor(connection), needs };
    if (takeReceipt(basis)) return result;
    const problems = await preflightProblems(moodleFor(connection), needs);
    if (problems.length === 0) writeReceipt(basis);
    return { ...result, failures: asCheckFailures(problems) };
  },
  diff: async (_id, olds, news) => diffFields(olds, news, { update: ["enabled"] }),

  async create(inputs) {
    const moodle = moodleFor(connectionOf(inputs));
    // The check's preflight has usually just read this page; no write since, so it still holds.
    const enabledBefore = await moodle.webServicesEnabled(true);
    if (enabledBefore !== inputs.enabled) await moodle.setWebServicesEnabled(inputs.enabled);
    return { id: "enablewebservices", outs: { ...inputs, enabledBefore } };
  },

  async read(id, props) {
    const enabled = await moodleFor(connectionOf(props)).webServicesEnabled();
    const live = { ...props, enabled };
    return { id, props: live, inputs: pick(live, INPUT_KEYS) };
  },

  async update(_id, olds, news) {
    // The client reads first and writes only when the value differs.
    await moodleFor(connectionOf(news)).setWebServicesEnabled(news.enabled);
    return { outs: { ...news, enabledBefore: olds.enabledBefore } };
  },

  // Puts back what was there before the stack: never switches off web services it found on, nor
  // ones the Moodle app or another service came to need since.
  async delete(_id, props) {
    if (props.enabledBefore !== false) return;
    const moodle = moodleFor(connectionOf(props));
    // The client reads first (a page read since the last write to it will do) and writes only when on.
    await switchOffUnlessNeeded(WEB_SERVICES, () => moodle.webServiceDependents(), () => moodle.setWebServicesEnabled(false));
  },
};
