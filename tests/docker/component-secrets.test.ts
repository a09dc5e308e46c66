// Mocks first, then the component.
import { installMocks, isSecretOutput, valueOf } from "./helpers/mocks";
installMocks();

// A failing check throws inside an apply; Pulumi then aborts the program with that message (an
// unhandled rejection, which would also end the jest worker), so the failure side is covered by the
// pure passwordProblem() tests in image.test.ts.
describe("checkedPassword", () => {
    it("passes a usable password on as a secret", async () => {
        const { checkedPassword } = await import("../../docker/MoodleDocker");
        const out = checkedPassword("moodle admin password", "Admin-Pass-1!");
        expect(await valueOf(out)).toBe("Admin-Pass-1!");
        expect(await isSecretOutput(out)).toBe(true);
    });
});
