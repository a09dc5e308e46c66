// Destroy undoes our switches only while nothing else needs them, and says what it left on and why.
import type { WebServiceDependent } from "../../moodle/dependents";

export interface Switch {
  /** What is left on, as the admin pages name it. */
  what: string;
  /** Where to switch it off by hand. */
  where: string;
}

export const WEB_SERVICES: Switch = {
  what: "web services (enablewebservices)",
  where: 'Site administration > General > Advanced features > "Enable web services"',
};

export function protocolSwitch(protocol: string): Switch {
  return { what: `the ${protocol.toUpperCase()} protocol`, where: `Site administration > Server > Web services > Manage protocols > ${protocol.toUpperCase()} protocol (the eye icon)` };
}

export function serviceSwitch(name: string): Switch {
  return { what: `the external service "${name}"`, where: `Site administration > Server > Web services > External services > "${name}" > Edit > "Enabled"` };
}

function listed(reasons: string[]): string {
  return reasons.length <= 1 ? reasons.join("") : `${reasons.slice(0, -1).join("; ")} and ${reasons[reasons.length - 1]}`;
}

/** The destroy output's line for a switch this stack turned on and leaves on. */
export function leftOnMessage(target: Switch, dependents: WebServiceDependent[]): string {
  return (
    `warning: destroy left ${target.what} on, although this stack switched it on: ${listed(dependents.map((d) => d.reason))} ` +
    `${dependents.length === 1 ? "needs" : "need"} it now. To switch it off by hand once nothing needs it: ${target.where}.`
  );
}

/**
 * Switches `target` off unless something needs it (then prints why, once, on the destroy output).
 * Returns whether it was switched off.
 */
export async function switchOffUnlessNeeded(
  target: Switch,
  dependents: () => Promise<WebServiceDependent[]>,
  switchOff: () => Promise<void>,
  warn: (line: string) => void = (line) => console.error(line),
): Promise<boolean> {
  const needed = await dependents();
  if (needed.length > 0) {
    warn(leftOnMessage(target, needed));
    return false;
  }
  await switchOff();
  return true;
}
