// Policy pack for production stacks of moodle-percipio-iac: `pulumi preview --policy-pack policy`.
// The checks live in rules.ts; this file gives each a name, an enforcement level and its config.
import { PolicyPack, ReportViolation, ResourceValidationArgs } from "@pulumi/policy";
import {
  MOODLE_TYPE_PREFIX,
  PERCIPIO_SETTINGS_TYPE,
  PercipioRegion,
  REGION_NAMES,
  TOKEN_TYPE,
  RangeLimits,
  adoptedTokenProblems,
  expiryProblems,
  ipRangeProblems,
  ipRestrictionProblems,
  percipioHostProblems,
  transportProblems,
  verificationProblems,
} from "./rules";

const report = (problems: string[], reportViolation: ReportViolation, urn?: string) => problems.forEach((p) => reportViolation(p, urn));

const isMoodleResource = (type: string) => type.startsWith(MOODLE_TYPE_PREFIX);
const isType = (wanted: string) => (type: string) => type === wanted;

/** A resource check run on the inputs of the resources it applies to. */
function validating(appliesTo: (type: string) => boolean, check: (props: Record<string, any>, args: ResourceValidationArgs) => string[]) {
  return (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
    if (appliesTo(args.type)) report(check(args.props, args), reportViolation);
  };
}

const maxValidityDays = {
  type: "integer" as const,
  minimum: 1,
  default: 365,
  description: "How many days ahead a token may be valid.",
};

new PolicyPack("moodle-percipio-production", {
  policies: [
    {
      name: "moodle-https-only",
      description: "Moodle is reached over https only (no moodle:allowHttp).",
      enforcementLevel: "mandatory",
      validateResource: validating(isMoodleResource, transportProblems),
    },
    {
      name: "moodle-tls-verified",
      description: "TLS certificate verification is not switched off for the run (NODE_TLS_REJECT_UNAUTHORIZED).",
      enforcementLevel: "mandatory",
      validateStack: (args, reportViolation) => {
        if (args.resources.some((r) => isMoodleResource(r.type))) report(verificationProblems(process.env), reportViolation);
      },
    },
    {
      name: "moodle-token-ip-restricted",
      description: "The web-service token works only from listed addresses (moodle:tokenIpRestriction).",
      enforcementLevel: "mandatory",
      validateResource: validating(isType(TOKEN_TYPE), (props) => ipRestrictionProblems(String(props.ipRestriction ?? ""))),
    },
    {
      name: "moodle-token-ip-range-narrow",
      description: "Each moodle:tokenIpRestriction entry is a narrow range.",
      enforcementLevel: "advisory",
      configSchema: {
        properties: {
          minIpv4PrefixLength: { type: "integer", minimum: 1, maximum: 32, default: 24, description: "Widest IPv4 range allowed, as a prefix length." },
          minIpv6PrefixLength: { type: "integer", minimum: 1, maximum: 128, default: 64, description: "Widest IPv6 range allowed, as a prefix length." },
        },
      },
      validateResource: validating(isType(TOKEN_TYPE), (props, args) => ipRangeProblems(String(props.ipRestriction ?? ""), args.getConfig<RangeLimits>())),
    },
    {
      name: "moodle-token-expires",
      description: "The web-service token expires within maxValidityDays (moodle:tokenValidUntil, or a rolling moodle:tokenValidDays).",
      enforcementLevel: "mandatory",
      configSchema: { properties: { maxValidityDays } },
      validateResource: validating(isType(TOKEN_TYPE), (props, args) =>
        expiryProblems(props, args.getConfig<{ maxValidityDays: number }>().maxValidityDays, new Date()),
      ),
    },
    {
      name: "moodle-adopted-token-compliant",
      description: "A token adopted with moodle:adoptExistingToken meets the same IP and expiry rules, as Moodle reports it.",
      enforcementLevel: "mandatory",
      configSchema: { properties: { maxValidityDays } },
      validateStack: (args, reportViolation) => {
        const { maxValidityDays: days } = args.getConfig<{ maxValidityDays: number }>();
        for (const r of args.resources.filter((r) => isType(TOKEN_TYPE)(r.type))) {
          report(adoptedTokenProblems(r.props, days, new Date()), reportViolation, r.urn);
        }
      },
    },
    {
      name: "percipio-region-hosts",
      description: "mod_percipio's OAuth and API URLs are Percipio's hosts for an allowed region (moodle:percipioRegion).",
      enforcementLevel: "mandatory",
      configSchema: {
        properties: {
          regions: {
            type: "array",
            items: { type: "string", enum: REGION_NAMES },
            minItems: 1,
            default: REGION_NAMES,
            description: "Percipio regions this organisation may use.",
          },
        },
      },
      validateResource: validating(isType(PERCIPIO_SETTINGS_TYPE), (props, args) =>
        percipioHostProblems(props, args.getConfig<{ regions: PercipioRegion[] }>().regions),
      ),
    },
  ],
});
