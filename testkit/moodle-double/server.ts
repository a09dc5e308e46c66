// Express app wiring: logging, faults, body parsing, routes.
import express from "express";
import type { Express, Request } from "express";
import type { StateStore } from "./state";
import { SESSION_COOKIE, SessionStore } from "./sessions";
import { FaultStore, RequestLog, faultMiddleware } from "./faults";
import { DoubleControl } from "./control";
import { DoubleContext, cookie, errorHtml, session } from "./routes/common";
import { loginRoutes } from "./routes/login";
import { settingsRoutes } from "./routes/settings";
import { serviceRoutes } from "./routes/services";
import { tokenRoutes } from "./routes/tokens";
import { restRoutes } from "./routes/rest";
import { controlRoutes } from "./routes/control";
import { mfaGate, mfaRoutes } from "./routes/mfa";
import { userRoutes } from "./routes/users";
import type { Clock } from "./clock";

export interface AppParts {
  base(): string;
  store: StateStore;
  sessions: SessionStore;
  faults: FaultStore;
  log: RequestLog;
  control: DoubleControl;
  controlApi: boolean;
  clock: Clock;
}

export function createApp(p: AppParts): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("query parser", "simple");
  if (p.controlApi) controlRoutes(app, p.control);
  app.use(p.log.middleware());
  const d: DoubleContext = { base: p.base, store: p.store, sessions: p.sessions, now: () => p.clock.now() };
  app.use(
    faultMiddleware(
      p.faults,
      (req: Request) => {
        const id = cookie(req, SESSION_COOKIE);
        if (id) p.sessions.destroy(id);
      },
      (req, res, message, errorcode) => errorHtml(d, res, session(d, req, res, false), message, errorcode),
    ),
  );
  app.use(express.urlencoded({ extended: false, limit: "5mb", parameterLimit: 10000 }));
  // tool_mfa's after_config hook: before any page, as lib/setup.php runs it.
  app.use(mfaGate(d));
  loginRoutes(app, d);
  mfaRoutes(app, d);
  userRoutes(app, d);
  settingsRoutes(app, d);
  serviceRoutes(app, d);
  tokenRoutes(app, d);
  restRoutes(app, d);
  app.use((req, res) => {
    res.status(404).set("Content-Type", "text/html; charset=utf-8").send(`<!DOCTYPE html><html><head><title>Not found</title></head><body><p>Not found: ${req.path.replace(/[<>&"]/g, "")}</p></body></html>`);
  });
  return app;
}
