// Test control API under /__control/ (mounted only when control is enabled).
import express from "express";
import type { Express } from "express";
import type { DoubleControl } from "../control";

export function controlRoutes(app: Express, control: DoubleControl): void {
  const r = express.Router();
  r.use(express.json({ limit: "5mb" }));
  r.post("/reset", (_req, res) => {
    control.reset();
    res.json({ ok: true });
  });
  r.get("/state", (_req, res) => {
    res.json(control.state());
  });
  r.patch("/state", (req, res) => {
    control.patchState(req.body);
    res.json(control.state());
  });
  r.get("/faults", (_req, res) => {
    res.json(control.faults());
  });
  r.post("/faults", (req, res) => {
    try {
      control.injectFault(req.body);
      res.json({ ok: true });
    } catch (e) {
      res.status(400).json({ error: (e as Error).message });
    }
  });
  r.delete("/faults", (_req, res) => {
    control.clearFaults();
    res.json({ ok: true });
  });
  r.get("/requests", (_req, res) => {
    res.json(control.requests());
  });
  r.delete("/requests", (_req, res) => {
    control.clearRequests();
    res.json({ ok: true });
  });
  r.post("/expire-sessions", (_req, res) => {
    control.expireSessions();
    res.json({ ok: true });
  });
  r.get("/clock", (_req, res) => {
    res.json({ now: control.clock() });
  });
  // {"now": <Unix seconds>} stops the double's clock there; {"now": null} (or DELETE) lets it run.
  r.put("/clock", (req, res) => {
    try {
      const now = (req.body as { now?: unknown } | undefined)?.now;
      if (now !== null && typeof now !== "number") throw new Error("body must be {\"now\": <Unix seconds> | null}");
      control.setClock(now);
      res.json({ now: control.clock() });
    } catch (e) {
      res.status(400).json({ error: (e as Error).message });
    }
  });
  r.delete("/clock", (_req, res) => {
    control.setClock(null);
    res.json({ now: control.clock() });
  });
  r.use((_req, res) => {
    res.status(404).json({ error: "unknown control endpoint" });
  });
  app.use("/__control", r);
}
