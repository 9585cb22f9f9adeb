'use strict';
// The project's Service Bus peer: a small AMQP 1.0 broker on rhea that the
// real azservicebus client accepts, for tests and the demo (no Docker, no
// internet). It imitates what our tests must prove about Service Bus: SAS
// claims (401 / 404), send and batch send, PeekLock with lock tokens,
// complete / abandon / dead-letter / defer, renew-lock, duplicate detection,
// max delivery count, the message size limit and dead-letter subqueues.
//
// It keeps everything in memory and listens on 127.0.0.1 only. It is not a
// broker for anything but tests: no sessions, topics, transactions or TLS.
//
// Environment:
//   SBPEER_KEY        SharedAccessKey clients must sign with (required)
//   SBPEER_KEY_NAME   SharedAccessKeyName (default "devenv")
//   SBPEER_PORT       AMQP port (default 0: a free one)
//   SBPEER_QUEUES     queues to create at start: "name[?option=value&…],…"
//                     (options as in control.js; "remediation" always exists)
//   SBPEER_EXIT_WITH_PID  exit when this process is gone (a test that started
//                     a private peer and was killed leaves nothing behind)
//   SBPEER_RUNDIR     when set, writes the AMQP port to sbpeer.port and the
//                     control API's port (control.js) to sbpeer.control there

const fs = require('fs');
const path = require('path');
const { Registry, parseQueueList } = require('./queues.js');
const { AmqpServer } = require('./amqp.js');
const { startControl } = require('./control.js');

function log(line) {
  process.stderr.write(`${new Date().toISOString()} sbpeer: ${line}\n`);
}

async function main() {
  const key = process.env.SBPEER_KEY;
  if (!key) {
    log('SBPEER_KEY is not set: give the SharedAccessKey clients sign with');
    process.exit(2);
  }
  const keyName = process.env.SBPEER_KEY_NAME || 'devenv';
  const registry = new Registry();
  registry.put('remediation', {});
  for (const { name, options } of parseQueueList(process.env.SBPEER_QUEUES)) {
    registry.put(name, options);
  }

  const amqp = new AmqpServer({ registry, keyName, key, log });
  const port = await amqp.listen(Number(process.env.SBPEER_PORT || 0));
  const control = await startControl({ registry, amqp, log });

  const run = process.env.SBPEER_RUNDIR;
  if (run) {
    // write the control file first: start.sh waits for the port file
    fs.writeFileSync(path.join(run, 'sbpeer.control'), `${control.port}\n`);
    fs.writeFileSync(path.join(run, 'sbpeer.port'), `${port}\n`);
  }
  log(`listening: amqp 127.0.0.1:${port}, control http://127.0.0.1:${control.port}, queues ${registry.list().map((q) => q.name).join(', ')}`);

  const stop = () => {
    log('stopping');
    amqp.dropAll();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const owner = Number(process.env.SBPEER_EXIT_WITH_PID || 0);
  if (owner > 0) {
    setInterval(() => {
      try {
        process.kill(owner, 0);
      } catch (err) {
        log(`process ${owner} is gone`);
        stop();
      }
    }, 1000).unref();
  }
}

main().catch((err) => {
  log('failed to start: ' + (err.stack || err));
  process.exit(1);
});
