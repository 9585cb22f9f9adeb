'use strict';
// The AMQP side of the Service Bus peer: what the real azservicebus client
// needs on the wire (see docs/architecture.md, "What azservicebus needs from the Service Bus peer"). Claims
// through $cbs, senders and receivers on queues and dead-letter queues, and
// the $management operations renew-lock, update-disposition and peek-message.

const net = require('net');
const rhea = require('rhea');
const { BATCH_FORMAT, StoredMessage, unpack, dotnetOrder, checkSAS, types, rheaMessage } = require('./wire.js');

const SAS_TOKEN_TYPE = 'servicebus.windows.net:sastoken';
const LOCK_LOST = 'com.microsoft:message-lock-lost';

// AmqpServer accepts AMQP 1.0 connections for one namespace.
class AmqpServer {
  constructor({ registry, keyName, key, log }) {
    this.registry = registry;
    this.keyName = keyName;
    this.key = key;
    this.log = log;
    this.connections = new Set();
    this.accepting = false;
    this.port = 0;
    this.container = rhea.create_container({ id: 'sbpeer' });
    this.server = null;
    this.wire();
  }

  // listen starts accepting on 127.0.0.1 (port 0: a free one) and resolves
  // with the port.
  listen(port = 0) {
    // a fresh listener each time: a closed one still waits for its connections
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log('listener error: ' + err.message));
        this.accepting = true;
        this.port = server.address().port;
        resolve(this.port);
      });
    });
  }

  // down stops listening (new connections are refused) and, with drop, cuts
  // every open connection: to the client, Service Bus is unreachable.
  async down({ drop = true } = {}) {
    if (this.accepting) {
      this.accepting = false;
      this.server.close(); // stops accepting now; its 'close' waits for open connections
    }
    if (drop) this.dropAll();
  }

  // up listens again on the same port.
  async up() {
    if (!this.accepting) await this.listen(this.port);
  }

  // dropAll destroys every connection's socket without a close frame, like a
  // network failure; locks held by its receivers are released.
  dropAll() {
    const n = this.connections.size;
    for (const c of this.connections) c.socket.destroy();
    return n;
  }

  accept(socket) {
    const conn = this.container.create_connection({
      autoaccept: false,
      autosettle: false,
      treat_modified_as_released: false,
      max_frame_size: 65536,
      container_id: 'sbpeer',
    });
    conn.sb = { authorized: new Map(), replyLinks: new Map(), socket };
    this.connections.add(conn);
    socket.on('close', () => {
      this.connections.delete(conn);
      this.releaseConnection(conn);
    });
    conn.accept(socket);
  }

  wire() {
    const c = this.container;
    c.on('receiver_open', (ctx) => this.onReceiverOpen(ctx.receiver, ctx.connection));
    c.on('sender_open', (ctx) => this.onSenderOpen(ctx.sender, ctx.connection));
    c.on('message', (ctx) => this.onMessage(ctx));
    c.on('sendable', (ctx) => this.pump(ctx.sender));
    c.on('sender_draining', (ctx) => {
      this.pump(ctx.sender);
      ctx.sender.set_drained(true);
    });
    for (const ev of ['accepted', 'rejected', 'released', 'modified']) c.on(ev, (ctx) => this.onOutcome(ctx));
    c.on('sender_close', (ctx) => this.releaseLink(ctx.sender));
    c.on('receiver_close', () => {});
    c.on('connection_close', (ctx) => this.releaseConnection(ctx.connection));
    c.on('disconnected', (ctx) => this.releaseConnection(ctx.connection));
    c.on('error', (err) => this.log('amqp error: ' + (err && err.message)));
    c.on('connection_error', () => {});
    c.on('session_error', () => {});
    c.on('sender_error', () => {});
    c.on('receiver_error', () => {});
  }

  // ---- attach -------------------------------------------------------------

  // echo answers an attach with the client's own terminus and settle modes.
  echo(link) {
    const remote = link.remote.attach;
    link.local.attach.snd_settle_mode = remote.snd_settle_mode;
    link.local.attach.rcv_settle_mode = remote.rcv_settle_mode;
    if (remote.source) link.set_source({ address: remote.source.address });
    if (remote.target) link.set_target({ address: remote.target.address });
  }

  // refuse answers an attach with no terminus and detaches with an error, the
  // way Service Bus refuses a link.
  refuse(link, condition, description) {
    link.local.attach.snd_settle_mode = link.remote.attach.snd_settle_mode;
    link.local.attach.rcv_settle_mode = link.remote.attach.rcv_settle_mode;
    link.close({ condition, description });
  }

  authorized(conn, path) {
    const until = conn.sb.authorized.get(path);
    return until !== undefined && until > Date.now();
  }

  // attachTo resolves the address a client attached to and checks its claim.
  // Returns the resolved entity or null after refusing the link.
  attachTo(link, conn, address) {
    const path = normalize(address);
    const entity = this.registry.resolve(path);
    if (!entity) {
      this.refuse(link, 'amqp:not-found', `The messaging entity '${this.entityURL(path)}' could not be found.`);
      return null;
    }
    if (!this.authorized(conn, path)) {
      this.refuse(link, 'amqp:unauthorized-access', `Unauthorized access to '${path}': put a token on $cbs first.`);
      return null;
    }
    return entity;
  }

  // onReceiverOpen: the client attached a sender (to $cbs, $management or a queue).
  onReceiverOpen(link, conn) {
    const address = link.remote.attach.target && link.remote.attach.target.address;
    if (address === '$cbs') {
      link.sb = { kind: 'cbs' };
      this.echo(link);
      return;
    }
    const entity = this.attachTo(link, conn, address);
    if (!entity) return;
    this.echo(link);
    if (entity.management) {
      link.sb = { kind: 'mgmt', entity };
    } else if (entity.deadLetter) {
      this.refuse(link, 'amqp:not-allowed', 'Cannot send to a dead-letter queue.');
    } else {
      link.sb = { kind: 'send', queue: entity.queue };
      link.local.attach.max_message_size = entity.queue.options.maxMessageSizeBytes;
    }
  }

  // onSenderOpen: the client attached a receiver (an RPC reply link, or a
  // queue / dead-letter queue receiver).
  onSenderOpen(link, conn) {
    const address = link.remote.attach.source && link.remote.attach.source.address;
    const reply = link.remote.attach.target && link.remote.attach.target.address;
    if (address === '$cbs' || /\/\$management$/i.test(address || '')) {
      if (address !== '$cbs' && !this.attachTo(link, conn, address)) return;
      link.sb = { kind: 'reply' };
      this.echo(link);
      link.local.attach.snd_settle_mode = 1; // replies are pre-settled
      conn.sb.replyLinks.set(reply, link);
      return;
    }
    const entity = this.attachTo(link, conn, address);
    if (!entity) return;
    if (entity.management) {
      this.refuse(link, 'amqp:not-allowed', 'Use the $management node through a request/response link pair.');
      return;
    }
    this.echo(link);
    const sub = entity.queue.sub(entity.deadLetter);
    const receiveAndDelete = link.remote.attach.snd_settle_mode === 1;
    link.sb = { kind: 'receive', sub, receiveAndDelete, wake: () => this.pump(link) };
    // a receiver waits for messages; every new or returned message wakes it
    sub.on('available', link.sb.wake);
    // answer a drain with credit 0 even when all credit is used up
    link._get_drain = function () {
      if (this._draining && this._drained) {
        this.delivery_count += this.credit;
        this.credit = 0;
        this._draining = false;
        return true;
      }
      return false;
    };
  }

  // ---- receive side: deliver messages ---------------------------------------

  // pump delivers ready messages while the receiver has credit left.
  pump(link) {
    if (!link || !link.sb || link.sb.kind !== 'receive' || !link.is_open()) return;
    const { sub, receiveAndDelete } = link.sb;
    let room = link.credit - pendingTransfers(link);
    while (room > 0) {
      if (receiveAndDelete) {
        const entry = sub.takeSettled();
        if (!entry) break;
        link.send(entry.msg.encode(entry.failures, annotations(entry)), undefined, 0);
      } else {
        const got = sub.take(link);
        if (!got) break;
        const d = link.send(got.entry.msg.encode(got.entry.failures, annotations(got.entry, got.until)), dotnetOrder(got.token), 0);
        d.sbLock = got.token.toString('hex');
      }
      sub.queue.stats.delivered++;
      room--;
    }
  }

  // onOutcome settles a PeekLock delivery with the client's outcome.
  onOutcome(ctx) {
    const link = ctx.sender;
    const d = ctx.delivery;
    if (!link || !link.sb || link.sb.kind !== 'receive' || !d.sbLock || d.sbDone) return;
    d.sbDone = true;
    const state = d.remote_state;
    const kind = state && state.constructor && state.constructor.composite_type;
    let outcome = 'abandon';
    const info = {};
    if (kind === 'accepted') outcome = 'complete';
    else if (kind === 'released') outcome = 'release';
    else if (kind === 'rejected') {
      outcome = 'deadletter';
      const err = state.error || {};
      const details = err.info || {};
      info.reason = details.DeadLetterReason;
      info.description = details.DeadLetterErrorDescription;
    } else if (kind === 'modified' && state.undeliverable_here) outcome = 'defer';
    const ok = link.sb.sub.settle(d.sbLock, outcome, info);
    if (ok) {
      d.update(true, outcomeState(kind));
    } else {
      d.update(true, rheaMessage.rejected({ error: { condition: LOCK_LOST, description: 'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.' } }).described());
    }
    // A sender forgets a delivery once it has settled it (AMQP 1.0, 2.6.12),
    // and a receiver in settle mode "second" (azservicebus PeekLock) does
    // not answer that settlement. rhea frees a delivery only when both sides
    // settled, so without this the session's delivery buffer (2,048) fills
    // and the receiver gets nothing more after about 2,000 messages.
    d.remote_settled = true;
  }

  releaseLink(link) {
    if (!link || !link.sb || link.sb.kind !== 'receive') return;
    link.sb.sub.off('available', link.sb.wake);
    link.sb.sub.releaseOwner(link);
    link.sb.kind = 'closed';
  }

  releaseConnection(conn) {
    for (const q of this.registry.list()) {
      for (const sub of [q.main, q.dlq]) {
        for (const lock of sub.locked.values()) if (lock.owner.connection === conn) this.releaseLink(lock.owner);
      }
    }
    for (const s of Object.values(conn.local_channel_map || {})) {
      for (const l of Object.values(s.links || {})) this.releaseLink(l);
    }
  }

  // ---- incoming transfers --------------------------------------------------

  onMessage(ctx) {
    const link = ctx.receiver;
    const kind = link.sb && link.sb.kind;
    try {
      if (kind === 'send') this.onSend(ctx);
      else if (kind === 'cbs') this.onCbs(ctx);
      else if (kind === 'mgmt') this.onManagement(ctx);
      else ctx.delivery.update(true, rejected('amqp:not-allowed', 'This link does not take messages.'));
    } catch (err) {
      this.log(`error handling a ${kind} message: ${err.stack || err}`);
      ctx.delivery.update(true, rejected('amqp:internal-error', String(err.message || err)));
    }
  }

  onSend(ctx) {
    const queue = ctx.receiver.sb.queue;
    const raw = ctx.format ? ctx.message : ctx.message.raw;
    const max = queue.options.maxMessageSizeBytes;
    if (raw.length > max) {
      queue.stats.oversize++;
      ctx.delivery.update(true, rejected('amqp:link:message-size-exceeded', `The received message (size: ${raw.length} bytes) exceeds the limit (${max} bytes) currently allowed on the link.`));
      return;
    }
    if (ctx.format && ctx.format !== BATCH_FORMAT) {
      ctx.delivery.update(true, rejected('amqp:not-implemented', `message format 0x${ctx.format.toString(16)} is not supported`));
      return;
    }
    for (const m of unpack(ctx.format, raw)) queue.accept(new StoredMessage(m));
    ctx.delivery.update(true, rheaMessage.accepted().described());
  }

  reply(ctx, status, description, body) {
    const req = ctx.message;
    ctx.delivery.update(true, rheaMessage.accepted().described());
    const link = ctx.connection.sb.replyLinks.get(req.reply_to);
    if (!link) {
      this.log(`no reply link for '${req.reply_to}'`);
      return;
    }
    const res = {
      correlation_id: req.message_id,
      application_properties: { 'status-code': types.wrap_int(status), 'status-description': description },
    };
    if (body !== undefined) res.body = body;
    link.send(res);
  }

  onCbs(ctx) {
    const props = ctx.message.application_properties || {};
    if (props.operation !== 'put-token') return this.reply(ctx, 400, `unsupported $cbs operation '${props.operation}'`);
    if (props.type !== SAS_TOKEN_TYPE) return this.reply(ctx, 401, `the peer accepts shared access signatures only, not '${props.type}'`);
    const audience = String(props.name || '');
    const why = checkSAS(ctx.message.body, audience, this.keyName, this.key);
    if (why) return this.reply(ctx, 401, `InvalidSignature: ${why}`);
    let path;
    try {
      path = normalize(decodeURIComponent(new URL(audience).pathname));
    } catch (err) {
      return this.reply(ctx, 400, `bad audience '${audience}'`);
    }
    if (!this.registry.resolve(path)) return this.reply(ctx, 404, `The messaging entity '${this.entityURL(path)}' could not be found.`);
    // the SDK sends the expiry as Unix seconds in a string; a timestamp also works
    let exp = props.expiration instanceof Date ? props.expiration.getTime() : Number(props.expiration) * 1000;
    if (!Number.isFinite(exp) || exp <= 0) exp = Date.now() + 3600 * 1000;
    ctx.connection.sb.authorized.set(path, exp);
    this.reply(ctx, 202, 'Accepted');
  }

  onManagement(ctx) {
    const { entity } = ctx.receiver.sb;
    const sub = entity.queue.sub(entity.deadLetter);
    const op = (ctx.message.application_properties || {}).operation;
    const body = ctx.message.body || {};
    switch (op) {
      case 'com.microsoft:renew-lock': {
        const expirations = [];
        for (const t of body['lock-tokens'] || []) {
          const until = sub.renew(Buffer.from(t).toString('hex'));
          if (until === null) return this.reply(ctx, 410, 'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.');
          expirations.push(until);
        }
        return this.reply(ctx, 200, 'OK', { expirations: types.wrap_array(expirations, 0x83) });
      }
      case 'com.microsoft:update-disposition': {
        const outcome = { completed: 'complete', abandoned: 'abandon', suspended: 'deadletter', defered: 'defer', deferred: 'defer' }[body['disposition-status']];
        if (!outcome) return this.reply(ctx, 400, `unknown disposition-status '${body['disposition-status']}'`);
        for (const t of body['lock-tokens'] || []) {
          const ok = sub.settle(Buffer.from(t).toString('hex'), outcome, { reason: body['deadletter-reason'], description: body['deadletter-description'] });
          if (!ok) return this.reply(ctx, 410, 'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.');
        }
        return this.reply(ctx, 200, 'OK', {});
      }
      case 'com.microsoft:peek-message': {
        const from = Number(body['from-sequence-number'] || 0);
        const n = Number(body['message-count'] || 1);
        const entries = sub.peek(from, n);
        if (!entries.length) return this.reply(ctx, 204, 'No messages');
        const messages = entries.map((e) => ({ message: e.msg.encode(e.failures, annotations(e)) }));
        return this.reply(ctx, 200, 'OK', { messages });
      }
      default:
        return this.reply(ctx, 501, `the peer does not implement '${op}'`);
    }
  }

  entityURL(path) {
    return `sb://127.0.0.1:${this.port}/${path}`;
  }
}

// normalize lower-cases an entity path and trims slashes.
function normalize(address) {
  return String(address || '').toLowerCase().replace(/^\/+|\/+$/g, '');
}

// pendingTransfers counts deliveries queued on link that rhea has not yet
// transferred (rhea takes credit only when it writes the transfer).
function pendingTransfers(link) {
  const out = link.session.outgoing;
  let n = 0;
  for (let id = out.next_pending_delivery; id < out.next_delivery_id; id++) {
    const d = out.deliveries.by_id(id);
    if (d && d.link === link) n++;
  }
  return n;
}

// annotations are the broker's message annotations, typed exactly as the
// azservicebus client asserts them.
function annotations(entry, lockedUntil) {
  const a = {
    'x-opt-sequence-number': types.Long(entry.seq),
    'x-opt-enqueued-time': types.wrap_timestamp(entry.enqueuedAt),
  };
  if (lockedUntil !== undefined) a['x-opt-locked-until'] = types.wrap_timestamp(lockedUntil);
  if (entry.deadLetterSource) a['x-opt-deadletter-source'] = types.wrap_string(entry.deadLetterSource);
  return a;
}

function rejected(condition, description) {
  return rheaMessage.rejected({ error: { condition, description } }).described();
}

function outcomeState(kind) {
  switch (kind) {
    case 'accepted':
      return rheaMessage.accepted().described();
    case 'rejected':
      return rheaMessage.rejected({}).described();
    case 'released':
      return rheaMessage.released().described();
    default:
      return rheaMessage.modified({}).described();
  }
}

module.exports = { AmqpServer };
