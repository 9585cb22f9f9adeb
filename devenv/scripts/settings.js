// Writes the handler settings that match the local services running in RUNDIR:
//   RUNDIR/local.settings.json  Core Tools' file (local.settings.sample.json with
//                               the ports, keys and, after `make sim`, the Graph
//                               simulator's URLs filled in): cp it to the repo root
//                               or dist/ for `func start`
//   RUNDIR/handler.env          the same Values as `export NAME='value'` lines, quoted
//                               so that connection strings with `;` survive
//                               `. devenv/.run/handler.env` (for `go run ./handler …`)
// and prints the handler.env lines. Values come from RUNDIR/env (up.sh) and, when
// present, RUNDIR/graphsim.json (sim.sh: the simulator's ready line).
// Usage: node settings.js RUNDIR
"use strict";
const fs = require("fs");
const path = require("path");

const run = process.argv[2];
if (!run) {
  console.error("usage: node settings.js RUNDIR");
  process.exit(2);
}
const root = path.resolve(__dirname, "..", "..");
const sample = JSON.parse(fs.readFileSync(path.join(root, "local.settings.sample.json"), "utf8"));

function readEnv(file) {
  const out = {};
  if (!fs.existsSync(file)) return out;
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

const env = readEnv(path.join(run, "env"));
const values = Object.assign({}, sample.Values);
if (env.DEVENV_BLOB_CONNECTION_STRING) {
  values.BLOB_CONNECTION_STRING = env.DEVENV_BLOB_CONNECTION_STRING;
  values.BLOB_SERVICE_URL = "";
  // Core Tools' own host storage (timer leases, keys): the same Azurite, in the
  // explicit form (UseDevelopmentStorage=true means fixed ports 10000-10002).
  values.AzureWebJobsStorage = env.DEVENV_BLOB_CONNECTION_STRING;
}
if (env.DEVENV_SERVICEBUS_CONNECTION_STRING) {
  values.SERVICEBUS_CONNECTION_STRING = env.DEVENV_SERVICEBUS_CONNECTION_STRING;
  values.SERVICEBUS_NAMESPACE = "";
}
const simFile = path.join(run, "graphsim.json");
if (fs.existsSync(simFile)) {
  const sim = JSON.parse(fs.readFileSync(simFile, "utf8"));
  values.ENTRA_TENANT_ID = sim.tenantId;
  values.GRAPH_BASE_URL = sim.url;
  values.LOGIN_AUTHORITY = sim.url;
  // azidentity's ManagedIdentityCredential, as App Service sets it up: the
  // simulator serves the token endpoint.
  values.AZURE_TOKEN_CREDENTIALS = "ManagedIdentityCredential";
  values.IDENTITY_ENDPOINT = sim.identityEndpoint;
  values.IDENTITY_HEADER = sim.identityHeader;
  if (sim.apps && sim.apps.length > 0 && sim.apps[0].appId) values.APP_ID = sim.apps[0].appId;
}

const out = Object.assign({}, sample, { Values: values });
fs.writeFileSync(path.join(run, "local.settings.json"), JSON.stringify(out, null, 2) + "\n");
const quote = (v) => "'" + String(v).replace(/'/g, "'\\''") + "'";
const lines = Object.keys(values)
  .filter((k) => k !== "FUNCTIONS_WORKER_RUNTIME" && k !== "AzureWebJobsStorage")
  .map((k) => `export ${k}=${quote(values[k])}`);
fs.writeFileSync(path.join(run, "handler.env"), lines.join("\n") + "\n");
process.stdout.write(lines.join("\n") + "\n");
