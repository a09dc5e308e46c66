import axios from "axios";
import { startMoodleDouble, MoodleDouble } from "../../testkit/moodle-double";
import { encode, Form } from "./helpers";

describe("moodle double: REST and login/token.php", () => {
  let d: MoodleDouble;
  beforeAll(async () => {
    d = await startMoodleDouble();
  });
  afterAll(() => d.stop());

  const TOKEN = "d0404eddcca13cc6e8cca357c682616b";
  const token = (extra: Record<string, unknown> = {}) => ({
    id: 1,
    token: TOKEN,
    name: "percipio-token",
    userId: 2,
    serviceId: 3,
    iprestriction: "",
    validuntil: 0,
    lastaccess: 0,
    creatorId: 2,
    timecreated: 1,
    ...extra,
  });

  beforeEach(() => {
    d.control.reset();
    d.control.patchState({ config: { enablewebservices: "1", webserviceprotocols: "rest" }, tokens: [token()] });
  });

  const call = async (form: Form, path = "/webservice/rest/server.php") => {
    const r = await axios.post(d.url + path, encode(form), {
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      validateStatus: () => true,
      responseType: "text",
      transformResponse: (x: unknown) => x,
    });
    return { status: r.status, type: String(r.headers["content-type"]), body: String(r.data ?? "") };
  };
  const json = (form: Form) => call({ wstoken: TOKEN, moodlewsrestformat: "json", ...form });

  test("403 with an empty text/html body when web services or REST are off", async () => {
    d.control.patchState({ config: { enablewebservices: "0" } });
    let r = await json({ wsfunction: "percipio_image_upload", data: "x" });
    expect(r.status).toBe(403);
    expect(r.type).toBe("text/html; charset=utf-8");
    expect(r.body).toBe("");
    d.control.patchState({ config: { enablewebservices: "1", webserviceprotocols: null } });
    r = await json({ wsfunction: "percipio_image_upload", data: "x" });
    expect(r.status).toBe(403);
    expect(r.body).toBe("");
  });

  test("percipio functions as recorded", async () => {
    expect((await json({ wsfunction: "percipio_progress_tracking", data: "{}" })).body).toBe(
      '{"exception":"core\\\\exception\\\\moodle_exception","errorcode":"errorinvalidparam","message":"The param \\"courseshortname\\" is invalid."}',
    );
    expect((await json({ wsfunction: "percipio_progress_tracking" })).body).toBe(
      '{"exception":"core\\\\exception\\\\invalid_parameter_exception","errorcode":"invalidparameter","message":"Invalid parameter value detected"}',
    );
    expect((await json({ wsfunction: "percipio_asset_import" })).body).toContain('"errorcode":"invalidparameter"');
    const ok = await json({ wsfunction: "percipio_image_upload", data: "x" });
    expect(ok.status).toBe(200);
    expect(ok.type).toBe("application/json");
    expect(ok.body).toBe('{"percipioid":null,"message":"Success","code":200}');
  });

  test("site info is not in Percipio-API: accessexception; it works for a service that contains it", async () => {
    expect((await json({ wsfunction: "core_webservice_get_site_info" })).body).toBe(
      '{"exception":"webservice_access_exception","errorcode":"accessexception","message":"Access control exception"}',
    );
    const services = d.control.state().services.map((s) => (s.id === 1 ? { ...s, enabled: true } : s));
    d.control.patchState({ services, tokens: [token({ serviceId: 1 })] });
    const info = JSON.parse((await json({ wsfunction: "core_webservice_get_site_info" })).body);
    expect(info).toMatchObject({ username: "admin", userid: 2, siteurl: d.url, release: "5.0.6+ (Build: 20260403)", version: "2025041406.11" });
    expect(info.functions.map((f: { name: string }) => f.name)).toContain("core_webservice_get_site_info");
  });

  test("invalid or missing token: invalidtoken", async () => {
    const expected = '{"exception":"core\\\\exception\\\\moodle_exception","errorcode":"invalidtoken","message":"Invalid token - token not found"}';
    expect((await json({ wstoken: "0".repeat(32), wsfunction: "percipio_image_upload", data: "x" })).body).toBe(expected);
    expect((await call({ wsfunction: "percipio_image_upload", moodlewsrestformat: "json" })).body).toBe(expected);
  });

  test("expired token: accessexception on first use and deleted, invalidtoken afterwards", async () => {
    d.control.patchState({ tokens: [token({ validuntil: Math.floor(Date.now() / 1000) - 3600 })] });
    expect((await json({ wsfunction: "percipio_image_upload", data: "x" })).body).toContain('"errorcode":"accessexception"');
    expect(d.control.state().tokens).toEqual([]);
    expect((await json({ wsfunction: "percipio_image_upload", data: "x" })).body).toContain('"errorcode":"invalidtoken"');
  });

  test("disabled service, IP restriction and unauthorised user on a restricted service: accessexception", async () => {
    const off = d.control.state().services.map((s) => (s.id === 3 ? { ...s, enabled: false } : s));
    d.control.patchState({ services: off });
    expect((await json({ wsfunction: "percipio_image_upload", data: "x" })).body).toContain("accessexception");
    d.control.reset();
    d.control.patchState({ config: { enablewebservices: "1", webserviceprotocols: "rest" }, tokens: [token({ iprestriction: "10.0.0.0/8" })] });
    expect((await json({ wsfunction: "percipio_image_upload", data: "x" })).body).toContain("accessexception");
    d.control.patchState({ tokens: [token({ iprestriction: "127.0.0.0/8" })] });
    expect((await json({ wsfunction: "percipio_image_upload", data: "x" })).body).toContain("Success");
    const restricted = d.control.state().services.map((s) => (s.id === 3 ? { ...s, restrictedusers: true } : s));
    d.control.patchState({ services: restricted });
    expect((await json({ wsfunction: "percipio_image_upload", data: "x" })).body).toContain("accessexception");
  });

  test("XML when moodlewsrestformat is missing; GET works too; lastaccess is recorded", async () => {
    const x = await call({ wstoken: TOKEN, wsfunction: "percipio_progress_tracking" });
    expect(x.type).toBe("application/xml; charset=utf-8");
    expect(x.body).toBe(
      '<?xml version="1.0" encoding="UTF-8" ?>\n<EXCEPTION class="core\\exception\\invalid_parameter_exception">\n<ERRORCODE>invalidparameter</ERRORCODE>\n<MESSAGE>Invalid parameter value detected</MESSAGE>\n</EXCEPTION>\n',
    );
    const g = await axios.get(`${d.url}/webservice/rest/server.php?wstoken=${TOKEN}&wsfunction=percipio_image_upload&data=x&moodlewsrestformat=json`, {
      responseType: "text",
      transformResponse: (v: unknown) => v,
    });
    expect(g.data).toContain('"message":"Success"');
    expect(d.control.state().tokens[0].lastaccess).toBeGreaterThan(0);
  });

  test("login/token.php returns the existing token, else cannotcreatetoken / servicenotavailable / invalidlogin", async () => {
    const ok = await call({ username: "admin", password: "Admin-Pass-1!", service: "Percipio-API" }, "/login/token.php");
    expect(ok.type).toBe("application/json; charset=utf-8");
    expect(ok.body).toBe(`{"token":"${TOKEN}","privatetoken":null}`);
    d.control.patchState({ tokens: [] });
    expect((await call({ username: "admin", password: "Admin-Pass-1!", service: "Percipio-API" }, "/login/token.php")).body).toBe(
      '{"error":"No permission to create web service token for the service Percipio-API.","errorcode":"cannotcreatetoken","stacktrace":null,"debuginfo":null,"reproductionlink":null}',
    );
    expect((await call({ username: "admin", password: "Admin-Pass-1!", service: "percipio_services" }, "/login/token.php")).body).toContain(
      '"errorcode":"servicenotavailable"',
    );
    expect((await call({ username: "admin", password: "bad", service: "Percipio-API" }, "/login/token.php")).body).toContain('"errorcode":"invalidlogin"');
  });
});
