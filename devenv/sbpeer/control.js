'use strict';
// The peer's HTTP control API (loopback only), for tests and the demo:
//
//   GET    /healthz                      200 "ok"
//   GET    /queues                       [{name, options, counts, stats}]
//   PUT    /queues/{name}                create or reconfigure; body (JSON, all optional):
//                                        {"duplicateDetectionWindow":"10m","maxDeliveryCount":10,
//                                         "lockDuration":"60s","maxMessageSizeBytes":262144}
//                                        201 created / 200 updated, with the queue
//   GET    /queues/{name}                the queue: options, counts {active, locked, deferred,
//                                        deadLetter}, stats {received, duplicates, delivered,
//                                        completed, abandoned, deferred, deadLettered,
//                                        lockExpired, oversize}
//   DELETE /queues/{name}                204
//   GET    /connections                  {"accepting":bool,"open":n,"port":p}
//   POST   /down                         refuse new connections and drop open ones
//   POST   /down?drop=false              refuse new connections only
//   POST   /drop                         drop open connections (the client reconnects)
//   POST   /up                           accept connections again (same port)

const http = require('http');

function startControl({ registry, amqp, log }) {
  const server = http.createServer(async (req, res) => {
    const send = (status, body) => {
      const text = body === undefined ? '' : JSON.stringify(body, null, 1) + '\n';
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(text);
    };
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const body = await readJSON(req);
      const route = `${req.method} /${parts[0] || ''}${parts.length > 1 ? '/:name' : ''}`;
      switch (route) {
        case 'GET /healthz':
          res.writeHead(200, { 'content-type': 'text/plain' });
          return res.end('ok\n');
        case 'GET /queues':
          return send(200, registry.list().map((q) => q.describe()));
        case 'PUT /queues/:name': {
          const { queue, created } = registry.put(parts[1], body || {});
          log(`queue ${queue.name} ${created ? 'created' : 'reconfigured'}`);
          return send(created ? 201 : 200, queue.describe());
        }
        case 'GET /queues/:name': {
          const q = registry.get(parts[1]);
          return q ? send(200, q.describe()) : send(404, { error: `no queue '${parts[1]}'` });
        }
        case 'DELETE /queues/:name':
          return registry.delete(parts[1]) ? send(204) : send(404, { error: `no queue '${parts[1]}'` });
        case 'GET /connections':
          return send(200, { accepting: amqp.accepting, open: amqp.connections.size, port: amqp.port });
        case 'POST /down':
          await amqp.down({ drop: url.searchParams.get('drop') !== 'false' });
          log('down: refusing connections');
          return send(200, { accepting: amqp.accepting, open: amqp.connections.size });
        case 'POST /drop': {
          const n = amqp.dropAll();
          log(`dropped ${n} connections`);
          return send(200, { dropped: n });
        }
        case 'POST /up':
          await amqp.up();
          log('up: accepting connections');
          return send(200, { accepting: amqp.accepting, port: amqp.port });
        default:
          return send(404, { error: `no route ${req.method} ${url.pathname}` });
      }
    } catch (err) {
      return send(400, { error: String(err.message || err) });
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve({ server, port: server.address().port }));
  });
}

function readJSON(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (!text) return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(new Error('body is not JSON: ' + err.message));
      }
    });
    req.on('error', reject);
  });
}

module.exports = { startControl };
