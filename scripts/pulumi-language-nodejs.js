#!/usr/bin/env node
// Stand-in for Pulumi's Go `pulumi-language-nodejs` plugin, used ONLY where the project had to
// build the Pulumi CLI itself (scripts/pulumi-cli.sh): the Go module proxy serves the engine's
// modules but not the language host's (it resolves only by commit and the proxy refuses those).
//
// It implements the LanguageRuntime gRPC service the way the Go host does for what `pulumi up`,
// `preview`, `refresh` and `destroy` need: `Run` starts the SDK's own program runner
// (`@pulumi/pulumi/cmd/run`, the same entry point the Go host execs) with the same flags and the
// same PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS environment. It reports no required plugins,
// so nothing is ever downloaded. Anywhere a real Pulumi installation exists, its host is used.
"use strict";

const { spawn } = require("child_process");

// The engine starts language plugins in the program directory; the SDK is resolved from there.
const programRoot = process.cwd();
const load = (name) => require(require.resolve(name, { paths: [programRoot] }));
const grpc = load("@grpc/grpc-js");
const langrpc = load("@pulumi/pulumi/proto/language_grpc_pb");
const lang = load("@pulumi/pulumi/proto/language_pb");
const plugin = load("@pulumi/pulumi/proto/plugin_pb");
const emptyProto = load("google-protobuf/google/protobuf/empty_pb");
const sdkVersion = load("@pulumi/pulumi/package.json").version;

// The engine passes its own address as the last positional argument.
const engineAddress = process.argv.slice(2).filter((a) => !a.startsWith("-")).pop() || "";
const children = new Set();

// Exit code the SDK uses after it has already printed an actionable message.
const EXIT_AFTER_USER_MESSAGE = 32;

function configEnv(request) {
  // The Go host rewrites "ns:key" to the legacy "ns:config:key" form; the SDK reads both.
  const config = {};
  for (const [key, value] of request.getConfigMap().entries()) {
    const i = key.indexOf(":");
    config[i < 0 ? key : `${key.slice(0, i)}:config:${key.slice(i + 1)}`] = value;
  }
  return {
    PULUMI_CONFIG: JSON.stringify(config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(request.getConfigsecretkeysList()),
  };
}

function runtimeOptions(info) {
  const options = (info && info.getOptions() && info.getOptions().toJavaScript()) || {};
  const env = {};
  if (options.typescript !== false) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  if (options.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = String(options.tsconfig);
  const nodeArgs = options.nodeargs ? String(options.nodeargs).split(/\s+/).filter(Boolean) : [];
  return { env, nodeArgs };
}

function run(call, callback) {
  const request = call.request;
  const info = request.getInfo();
  const programDir = (info && info.getProgramDirectory()) || request.getPwd() || programRoot;
  const entryPoint = (info && info.getEntryPoint()) || request.getProgram() || ".";
  const { env, nodeArgs } = runtimeOptions(info);

  let runPath;
  try {
    runPath = require.resolve("@pulumi/pulumi/cmd/run", { paths: [programDir] });
  } catch (err) {
    const response = new lang.RunResponse();
    response.setError(`could not find @pulumi/pulumi in ${programDir}: run 'npm install' there (${err.message})`);
    return callback(null, response);
  }

  const args = [...nodeArgs, runPath];
  const flag = (name, value) => {
    if (value !== undefined && value !== null && value !== "") args.push(`--${name}`, String(value));
  };
  flag("monitor", request.getMonitorAddress());
  flag("engine", engineAddress);
  flag("organization", request.getOrganization());
  flag("project", request.getProject());
  flag("root-directory", info && info.getRootDirectory());
  flag("stack", request.getStack());
  flag("pwd", programDir);
  if (request.getDryrun()) args.push("--dry-run");
  flag("parallel", request.getParallel());
  args.push(entryPoint, ...request.getArgsList());

  const child = spawn(process.execPath, args, {
    cwd: programDir,
    env: { ...process.env, ...configEnv(request), ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
  children.add(child);
  child.on("error", (err) => {
    children.delete(child);
    const response = new lang.RunResponse();
    response.setError(`Problem executing program (could not run node): ${err.message}`);
    callback(null, response);
  });
  child.on("exit", (code, signal) => {
    children.delete(child);
    const response = new lang.RunResponse();
    if (code === EXIT_AFTER_USER_MESSAGE) {
      response.setBail(true);
    } else if (code !== 0) {
      response.setError(`Program exited with non-zero exit code: ${code === null ? signal : code}`);
    }
    callback(null, response);
  });
}

/**
 * Plugins written in Node.js, policy packs among them (`pulumi preview --policy-pack DIR`): the
 * engine asks the language host to start them, as the Go host does: `node [nodeargs] <runner>`,
 * where the runner is `@pulumi/pulumi/cmd/run-policy-pack` for a policy pack (args, then the pack's
 * folder, run in that folder) and `@pulumi/pulumi/cmd/run-plugin` otherwise (the plugin's folder,
 * then args, run in the engine's folder), with exactly the environment the engine sends. Output is
 * streamed back in chunks (the engine reads the plugin's port from it), then the exit code.
 * Unlike the Go host, the stand-in does not proxy the first ConfigureStack call to put the stack's
 * config into a pack's environment: policy packs see resources' inputs and outputs, not config.
 */
function runPlugin(call) {
  const request = call.request;
  const info = request.getInfo();
  const pluginDir = (info && info.getProgramDirectory()) || request.getPwd();
  const isPolicyPack = request.getKind() === "analyzer";
  const runner = isPolicyPack
    ? "@pulumi/pulumi/cmd/run-policy-pack"
    : process.env.PULUMI_LANGUAGE_NODEJS_RUN_PATH || "@pulumi/pulumi/cmd/run-plugin";
  const fail = (details) => call.emit("error", { code: grpc.status.UNKNOWN, details });

  let runnerPath;
  try {
    runnerPath = require.resolve(runner, { paths: [pluginDir] });
  } catch (err) {
    return fail(`could not find ${runner} from ${pluginDir}: run 'npm ci' in the project (${err.message})`);
  }
  const { env: optionEnv, nodeArgs } = runtimeOptions(info);
  const pluginArgs = isPolicyPack
    ? [...request.getArgsList(), pluginDir]
    : [pluginDir, ...request.getArgsList()];
  const env = {};
  for (const entry of request.getEnvList()) {
    const i = entry.indexOf("=");
    if (i > 0) env[entry.slice(0, i)] = entry.slice(i + 1);
  }

  const child = spawn(process.execPath, [...nodeArgs, runnerPath, ...pluginArgs], {
    cwd: isPolicyPack ? pluginDir : request.getPwd() || pluginDir,
    env: { ...env, ...optionEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  const forward = (setter) => (chunk) => {
    const response = new lang.RunPluginResponse();
    response[setter](chunk);
    call.write(response);
  };
  child.stdout.on("data", forward("setStdout"));
  child.stderr.on("data", forward("setStderr"));
  // The engine ends a plugin by cancelling this call.
  call.on("cancelled", () => child.kill());
  let finished = false;
  child.on("error", (err) => {
    children.delete(child);
    if (finished) return;
    finished = true;
    fail(`Problem executing plugin program (could not run node): ${err.message}`);
  });
  // "close" comes after both output streams are drained, so no output is lost.
  child.on("close", (code) => {
    children.delete(child);
    if (finished || call.cancelled) return;
    finished = true;
    const response = new lang.RunPluginResponse();
    response.setExitcode(code === null ? -1 : code);
    call.write(response);
    call.end();
  });
}

const unary = (build) => (call, callback) => callback(null, build(call.request));

const service = {
  handshake: unary(() => new lang.LanguageHandshakeResponse()),
  getRequiredPlugins: unary(() => {
    const r = new lang.GetRequiredPluginsResponse();
    r.setPluginsList([]);
    return r;
  }),
  getRequiredPackages: unary(() => {
    const r = new lang.GetRequiredPackagesResponse();
    r.setPackagesList([]);
    return r;
  }),
  run,
  runPlugin,
  getPluginInfo: unary(() => {
    const r = new plugin.PluginInfo();
    r.setVersion(sdkVersion);
    return r;
  }),
  installDependencies: (call) => call.end(),
  about: unary(() => {
    const r = new lang.AboutResponse();
    r.setExecutable(process.execPath);
    r.setVersion(process.version);
    return r;
  }),
  getProgramDependencies: unary(() => {
    const r = new lang.GetProgramDependenciesResponse();
    r.setDependenciesList([]);
    return r;
  }),
  cancel: unary(() => {
    for (const child of children) child.kill("SIGINT");
    return new emptyProto.Empty();
  }),
};

const unimplemented = (call, callback) =>
  callback({ code: grpc.status.UNIMPLEMENTED, details: "not supported by the stand-in language host" });
const implementation = {};
for (const name of Object.keys(langrpc.LanguageRuntimeService)) {
  const method = langrpc.LanguageRuntimeService[name];
  const key = method.originalName || name;
  implementation[key] = service[key] || (method.responseStream ? (call) => { call.emit("error", { code: grpc.status.UNIMPLEMENTED }); } : unimplemented);
}

const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
server.addService(langrpc.LanguageRuntimeService, implementation);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    console.error(`pulumi-language-nodejs (stand-in): cannot listen: ${err.message}`);
    process.exit(1);
  }
  // The engine reads the port from the first line of stdout.
  process.stdout.write(`${port}\n`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
    server.forceShutdown();
    process.exit(0);
  });
}
