// Destroy's decision for one switch: off only when nothing needs it, otherwise one line saying what,
// why and where to switch it off by hand.
import { WEB_SERVICES, leftOnMessage, protocolSwitch, serviceSwitch, switchOffUnlessNeeded } from "../../providers/shared/stillNeeded";

const app = { kind: "mobile-app" as const, reason: "the Moodle app" };
const lms = { kind: "service-tokens" as const, reason: 'the enabled service "LMS" (2 tokens)' };

describe("switchOffUnlessNeeded", () => {
  test("nothing needs it: switched off, nothing printed", async () => {
    const off = jest.fn(async () => undefined);
    const warn = jest.fn();
    expect(await switchOffUnlessNeeded(WEB_SERVICES, async () => [], off, warn)).toBe(true);
    expect(off).toHaveBeenCalledTimes(1);
    expect(warn).not.toHaveBeenCalled();
  });

  test("something needs it: left on, one line that names it", async () => {
    const off = jest.fn(async () => undefined);
    const warn = jest.fn();
    expect(await switchOffUnlessNeeded(protocolSwitch("rest"), async () => [app], off, warn)).toBe(false);
    expect(off).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledWith(leftOnMessage(protocolSwitch("rest"), [app]));
  });

  test("a failing look at the dependents switches nothing off", async () => {
    const off = jest.fn(async () => undefined);
    await expect(switchOffUnlessNeeded(WEB_SERVICES, async () => Promise.reject(new Error("page unreadable")), off, jest.fn())).rejects.toThrow("page unreadable");
    expect(off).not.toHaveBeenCalled();
  });
});

describe("leftOnMessage", () => {
  test("one dependent", () => {
    expect(leftOnMessage(WEB_SERVICES, [app])).toBe(
      'warning: destroy left web services (enablewebservices) on, although this stack switched it on: the Moodle app needs it now. To switch it off by hand once nothing needs it: Site administration > General > Advanced features > "Enable web services".',
    );
  });

  test("several dependents are listed, the last after 'and'", () => {
    const third = { kind: "service-users" as const, reason: "x (1 authorised user)" };
    expect(leftOnMessage(protocolSwitch("rest"), [app, lms, third])).toContain('the Moodle app; the enabled service "LMS" (2 tokens) and x (1 authorised user) need it now.');
    expect(leftOnMessage(protocolSwitch("rest"), [app])).toContain("the REST protocol on");
    expect(leftOnMessage(protocolSwitch("rest"), [app])).toContain("Manage protocols > REST protocol (the eye icon).");
  });

  test("a service names itself and its edit form", () => {
    expect(leftOnMessage(serviceSwitch("Percipio services"), [lms])).toContain(
      'left the external service "Percipio services" on, although this stack switched it on: the enabled service "LMS" (2 tokens) needs it now. To switch it off by hand once nothing needs it: Site administration > Server > Web services > External services > "Percipio services" > Edit > "Enabled".',
    );
  });
});
