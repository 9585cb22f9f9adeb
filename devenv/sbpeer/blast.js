'use strict';
// blast.js is the raw baseline of the publish-rate benchmark: the fastest a
// minimal AMQP 1.0 sender on rhea, with no Service Bus SDK on top, gets
// messages accepted by the peer. It puts a SAS token on $cbs (as every
// client must), attaches one sender to the queue and keeps as many messages
// in flight as the link credit allows, each with a message id and a body
// of the given size, until all are accepted.
//
// Usage: node blast.js <connection-string> <queue> <count> <body-bytes>
// Prints one JSON line: {"sent":N,"accepted":M,"seconds":S,"perSecond":R}.

const crypto = require('crypto');
const rhea = require('rhea');

function fail(msg) {
  process.stderr.write(`blast: ${msg}\n`);
  process.exit(1);
}

const [conn, queue, countArg, sizeArg] = process.argv.slice(2);
if (!conn || !queue) fail('usage: node blast.js <connection-string> <queue> <count> <body-bytes>');
const count = Number(countArg || 1000);
const size = Number(sizeArg || 1024);
const fields = {};
for (const part of conn.split(';')) {
  const i = part.indexOf('=');
  if (i > 0) fields[part.slice(0, i)] = part.slice(i + 1);
}
const endpoint = new URL(String(fields.Endpoint || '').replace(/^sb:/, 'http:'));
const audience = `sb://${endpoint.host}/${queue}`;

function sas(resource, keyName, key) {
  const se = Math.floor(Date.now() / 1000) + 3600;
  const sr = encodeURIComponent(resource);
  const sig = crypto.createHmac('sha256', key).update(sr + '\n' + se).digest('base64');
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${se}&skn=${keyName}`;
}

const container = rhea.create_container({ id: 'blast' });
const connection = container.connect({ host: endpoint.hostname, port: Number(endpoint.port), reconnect: false });
connection.on('connection_error', (ctx) => fail(`connection error: ${ctx.connection.error && ctx.connection.error.description}`));
connection.on('disconnected', (ctx) => {
  if (!done) fail(`disconnected: ${ctx.error || ''}`);
});

let done = false;
const body = Buffer.alloc(size, 'x');
const replyTo = 'blast-cbs-reply';
const cbsReceiver = connection.open_receiver({ source: { address: '$cbs' }, target: { address: replyTo } });
const cbsSender = connection.open_sender({ target: { address: '$cbs' } });
cbsSender.once('sendable', () => {
  cbsSender.send({
    message_id: 'put-token-1',
    reply_to: replyTo,
    application_properties: { operation: 'put-token', type: 'servicebus.windows.net:sastoken', name: audience },
    body: sas(audience, fields.SharedAccessKeyName, fields.SharedAccessKey),
  });
});
cbsReceiver.on('message', (ctx) => {
  const status = (ctx.message.application_properties || {})['status-code'];
  if (status !== 202 && status !== 200) fail(`$cbs answered ${status}`);
  blast();
});

function blast() {
  const sender = connection.open_sender({ target: { address: queue }, autosettle: true });
  let sent = 0;
  let accepted = 0;
  let start = 0;
  const pump = () => {
    if (!start) start = process.hrtime.bigint();
    while (sent < count && sender.sendable()) {
      sender.send({ message_id: `blast-${sent}`, content_type: 'application/json', body: rhea.message.data_section(body) });
      sent++;
    }
  };
  sender.on('sendable', pump);
  sender.on('accepted', () => {
    accepted++;
    if (accepted === count) {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      done = true;
      process.stdout.write(JSON.stringify({ sent, accepted, seconds, perSecond: accepted / seconds }) + '\n');
      connection.close();
      setTimeout(() => process.exit(0), 50);
    }
  });
  sender.on('rejected', (ctx) => fail(`rejected: ${JSON.stringify(ctx.delivery.remote_state && ctx.delivery.remote_state.error)}`));
}
