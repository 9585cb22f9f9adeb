'use strict';
// The queue model of the Service Bus peer: messages in sequence order,
// PeekLock locks with expiry, duplicate detection on MessageID, max delivery
// count, a dead-letter subqueue, and counters a test can read.

const { EventEmitter } = require('events');
const { newLockToken } = require('./wire.js');

const DEFAULTS = {
  lockDurationMs: 60 * 1000, // Service Bus default: 1 minute
  maxDeliveryCount: 10, // Service Bus default
  duplicateDetectionWindowMs: 10 * 60 * 1000, // our Bicep: 10 minutes; 0 disables
  maxMessageSizeBytes: 256 * 1024, // standard tier
};

// parseDuration accepts milliseconds (number) or "500ms", "30s", "10m", "1h".
function parseDuration(v, name) {
  if (typeof v === 'number' && v >= 0) return v;
  const m = /^(\d+)(ms|s|m|h)?$/.exec(String(v).trim());
  if (!m) throw new Error(`${name}: '${v}' is not a duration like 500ms, 30s, 10m`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2] || 'ms'];
}

// parseOptions validates queue options from the control API or SBPEER_QUEUES.
function parseOptions(o = {}) {
  const out = { ...DEFAULTS };
  for (const [k, v] of Object.entries(o)) {
    switch (k) {
      case 'lockDuration':
        out.lockDurationMs = parseDuration(v, k);
        break;
      case 'duplicateDetectionWindow':
        out.duplicateDetectionWindowMs = parseDuration(v, k);
        break;
      case 'maxDeliveryCount':
      case 'maxMessageSizeBytes': {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new Error(`${k}: '${v}' must be a positive integer`);
        out[k] = n;
        break;
      }
      default:
        throw new Error(`unknown queue option '${k}' (known: lockDuration, duplicateDetectionWindow, maxDeliveryCount, maxMessageSizeBytes)`);
    }
  }
  return out;
}

// A SubQueue is what a receiver reads: the queue itself or its dead-letter
// queue. Messages wait in `ready` (sequence order) or are locked by a receiver.
class SubQueue extends EventEmitter {
  constructor(queue, path) {
    super();
    this.setMaxListeners(0); // one listener per open receiver
    this.queue = queue;
    this.path = path;
    this.ready = []; // entries {seq, msg, enqueuedAt, failures, deadLetterSource?}
    this.locked = new Map(); // lock token hex -> {entry, until, timer, owner}
    this.deferred = new Map(); // seq -> entry
  }

  enqueue(entry) {
    // keep sequence order: an abandoned message goes back to its place
    let i = this.ready.length;
    while (i > 0 && this.ready[i - 1].seq > entry.seq) i--;
    this.ready.splice(i, 0, entry);
    this.emit('available');
  }

  // take locks the first ready message for owner; null when none.
  take(owner) {
    const entry = this.ready.shift();
    if (!entry) return null;
    const token = newLockToken();
    const lock = { entry, owner, until: Date.now() + this.queue.options.lockDurationMs, timer: null };
    this.locked.set(token.toString('hex'), lock);
    this.arm(token.toString('hex'), lock);
    return { entry, token, until: lock.until };
  }

  // takeSettled removes the first ready message (ReceiveAndDelete).
  takeSettled() {
    const entry = this.ready.shift();
    if (entry) this.queue.stats.completed++;
    return entry || null;
  }

  arm(key, lock) {
    clearTimeout(lock.timer);
    lock.timer = setTimeout(() => this.release(key, true), Math.max(0, lock.until - Date.now()));
    lock.timer.unref();
  }

  lockFor(key) {
    const lock = this.locked.get(key);
    return lock && lock.until > Date.now() ? lock : null;
  }

  // settle applies a receiver's outcome to a locked message. outcome is
  // 'complete' | 'abandon' | 'defer' | 'deadletter' | 'release'. Returns
  // false when the lock is unknown or expired (lock lost).
  settle(key, outcome, info = {}) {
    const lock = this.lockFor(key);
    if (!lock) return false;
    this.locked.delete(key);
    clearTimeout(lock.timer);
    const { entry } = lock;
    const st = this.queue.stats;
    switch (outcome) {
      case 'complete':
        st.completed++;
        break;
      case 'deadletter':
        this.queue.deadLetter(entry, info.reason, info.description, this);
        break;
      case 'defer':
        st.deferred++;
        this.deferred.set(entry.seq, entry);
        break;
      case 'release': // returned unprocessed: no delivery attempt counted
        this.enqueue(entry);
        break;
      default: // abandon
        st.abandoned++;
        this.fail(entry);
    }
    return true;
  }

  // release ends a lock without an outcome: expiry or the receiver went away.
  release(key, expired) {
    const lock = this.locked.get(key);
    if (!lock) return;
    this.locked.delete(key);
    clearTimeout(lock.timer);
    if (expired) this.queue.stats.lockExpired++;
    this.fail(lock.entry);
  }

  releaseOwner(owner) {
    for (const [key, lock] of this.locked) if (lock.owner === owner) this.release(key, false);
  }

  // fail counts a failed delivery and dead-letters at maxDeliveryCount.
  fail(entry) {
    entry.failures++;
    if (this === this.queue.main && entry.failures >= this.queue.options.maxDeliveryCount) {
      this.queue.deadLetter(entry, 'MaxDeliveryCountExceeded', `Message could not be consumed after ${entry.failures} delivery attempts.`, this);
    } else {
      this.enqueue(entry);
    }
  }

  renew(key) {
    const lock = this.lockFor(key);
    if (!lock) return null;
    lock.until = Date.now() + this.queue.options.lockDurationMs;
    this.arm(key, lock);
    return lock.until;
  }

  // peek returns up to n entries from sequence number `from`, without locking.
  peek(from, n) {
    const all = [...this.ready, ...[...this.locked.values()].map((l) => l.entry), ...this.deferred.values()];
    return all.filter((e) => e.seq >= from).sort((a, b) => a.seq - b.seq).slice(0, n);
  }

  counts() {
    return { active: this.ready.length, locked: this.locked.size, deferred: this.deferred.size };
  }
}

class Queue {
  constructor(name, options) {
    this.name = name;
    this.options = parseOptions(options);
    this.nextSeq = 1;
    this.seen = new Map(); // MessageID -> time first accepted
    this.stats = { received: 0, duplicates: 0, delivered: 0, completed: 0, abandoned: 0, deferred: 0, deadLettered: 0, lockExpired: 0, oversize: 0 };
    this.main = new SubQueue(this, name);
    this.dlq = new SubQueue(this, name + '/$deadletterqueue');
  }

  configure(options) {
    this.options = parseOptions(options);
  }

  // accept enqueues a message unless duplicate detection drops it. Returns
  // true when the message was enqueued.
  accept(msg) {
    const now = Date.now();
    const win = this.options.duplicateDetectionWindowMs;
    if (win > 0 && msg.messageId !== undefined) {
      for (const [id, at] of this.seen) if (at + win <= now) this.seen.delete(id); // insertion order = time order
      if (this.seen.has(msg.messageId)) {
        this.stats.duplicates++;
        return false;
      }
      this.seen.set(msg.messageId, now);
    }
    this.stats.received++;
    this.main.enqueue({ seq: this.nextSeq++, msg, enqueuedAt: now, failures: 0 });
    return true;
  }

  deadLetter(entry, reason, description, from) {
    this.stats.deadLettered++;
    if (reason !== undefined) entry.msg.setAppProperty('DeadLetterReason', reason);
    if (description !== undefined) entry.msg.setAppProperty('DeadLetterErrorDescription', description);
    entry.deadLetterSource = from === this.main ? undefined : from.path;
    this.dlq.enqueue(entry);
  }

  sub(subqueue) {
    return subqueue ? this.dlq : this.main;
  }

  describe() {
    return {
      name: this.name,
      options: {
        lockDuration: this.options.lockDurationMs + 'ms',
        duplicateDetectionWindow: this.options.duplicateDetectionWindowMs + 'ms',
        maxDeliveryCount: this.options.maxDeliveryCount,
        maxMessageSizeBytes: this.options.maxMessageSizeBytes,
      },
      counts: { ...this.main.counts(), deadLetter: this.dlq.ready.length + this.dlq.locked.size },
      stats: { ...this.stats },
    };
  }
}

// Registry holds the queues by lower-case name (Service Bus names are
// case-insensitive).
class Registry {
  constructor() {
    this.queues = new Map();
  }
  get(name) {
    return this.queues.get(String(name).toLowerCase());
  }
  put(name, options) {
    const key = String(name).toLowerCase();
    if (!/^[a-z0-9][a-z0-9._-]{0,259}$/.test(key)) throw new Error(`invalid queue name '${name}'`);
    const q = this.queues.get(key);
    if (q) {
      q.configure(options);
      return { queue: q, created: false };
    }
    const created = new Queue(key, options);
    this.queues.set(key, created);
    return { queue: created, created: true };
  }
  delete(name) {
    return this.queues.delete(String(name).toLowerCase());
  }
  list() {
    return [...this.queues.values()];
  }
  // resolve maps an entity path ("q", "q/$DeadLetterQueue", "q/$management")
  // to {queue, deadLetter, management}; null for an unknown queue.
  resolve(path) {
    const parts = String(path).toLowerCase().replace(/^\/+|\/+$/g, '').split('/');
    const queue = this.get(parts[0]);
    if (!queue) return null;
    let i = 1;
    const deadLetter = parts[i] === '$deadletterqueue';
    if (deadLetter) i++;
    const management = parts[i] === '$management';
    if (management) i++;
    if (i !== parts.length) return null;
    return { queue, deadLetter, management };
  }
}

// parseQueueList reads SBPEER_QUEUES: "name[?option=value&…],…".
function parseQueueList(s) {
  const out = [];
  for (const item of String(s || '').split(',').map((x) => x.trim()).filter(Boolean)) {
    const [name, query] = item.split('?');
    out.push({ name, options: Object.fromEntries(new URLSearchParams(query || '')) });
  }
  return out;
}

module.exports = { Registry, parseOptions, parseQueueList, DEFAULTS };
