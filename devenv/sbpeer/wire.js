'use strict';
// Wire helpers of the Service Bus peer: AMQP message sections kept as raw
// bytes (so application properties and bodies reach the receiver with exactly
// the types the sender gave them), the batch envelope (format 0x80013700),
// lock tokens in .NET GUID byte order, and SAS token validation for $cbs.

const crypto = require('crypto');
const rhea = require('rhea');
const rheaMessage = require('rhea/lib/message.js');

const types = rhea.types;

// rhea hands a receiver the decoded message only; keep the bytes it came
// from so a message can be re-sent without a lossy decode/encode round trip.
const decode = rheaMessage.decode;
rheaMessage.decode = function decodeKeepingRaw(buffer) {
  const msg = decode(buffer);
  Object.defineProperty(msg, 'raw', { value: buffer, enumerable: false });
  return msg;
};

// Section descriptor codes (AMQP 1.0 part 3.2).
const SECTION = {
  header: 0x70,
  deliveryAnnotations: 0x71,
  messageAnnotations: 0x72,
  properties: 0x73,
  applicationProperties: 0x74,
  data: 0x75,
  sequence: 0x76,
  value: 0x77,
  footer: 0x78,
};
const SYMBOLIC = {
  'amqp:header:list': 0x70,
  'amqp:delivery-annotations:map': 0x71,
  'amqp:message-annotations:map': 0x72,
  'amqp:properties:list': 0x73,
  'amqp:application-properties:map': 0x74,
  'amqp:data:binary': 0x75,
  'amqp:amqp-sequence:list': 0x76,
  'amqp:value:*': 0x77,
  'amqp:footer:map': 0x78,
};

// The message format Service Bus uses for a batch: one data section per
// complete encoded message.
const BATCH_FORMAT = 0x80013700;

function sectionCode(descriptor) {
  const v = descriptor && descriptor.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return SYMBOLIC[v];
  if (Buffer.isBuffer(v)) return Number(v.readBigUInt64BE(0));
  return undefined;
}

// splitSections parses an encoded message into its sections: for each, the
// section code, the described value as rhea read it (its .value holds the
// map's key/value items, the list's fields or the binary), and the raw bytes.
function splitSections(buffer) {
  const reader = new types.Reader(buffer);
  const out = [];
  while (reader.remaining()) {
    const start = reader.position;
    const s = reader.read();
    out.push({ code: sectionCode(s.descriptor), typed: s, raw: buffer.subarray(start, reader.position) });
  }
  return out;
}

// StoredMessage is one message as the peer keeps it: the sender's sections
// minus header and annotations (which the broker owns), plus the facts the
// queue needs.
class StoredMessage {
  constructor(buffer) {
    const sections = splitSections(buffer);
    this.size = buffer.length;
    this.annotations = []; // typed key/value items of message-annotations
    this.properties = null; // raw bytes
    this.appProps = []; // typed key/value items of application-properties
    this.rest = []; // raw body and footer sections
    this.messageId = undefined;
    for (const s of sections) {
      switch (s.code) {
        case SECTION.header:
        case SECTION.deliveryAnnotations:
          break; // the broker writes its own
        case SECTION.messageAnnotations:
          this.annotations = s.typed.value.slice();
          break;
        case SECTION.properties:
          this.properties = s.raw;
          this.messageId = messageIdOf(s.typed);
          break;
        case SECTION.applicationProperties:
          this.appProps = s.typed.value.slice();
          break;
        default:
          this.rest.push(s.raw);
      }
    }
  }

  // setAppProperty sets a string application property (DeadLetterReason…).
  setAppProperty(key, value) {
    removeKey(this.appProps, key);
    if (value !== undefined && value !== null) this.appProps.push(types.wrap_string(key), types.wrap_string(String(value)));
  }

  // encode renders the message for a receiver with the broker's header and
  // annotations: ann maps annotation names to typed values.
  encode(deliveryCount, ann) {
    const w = new types.Writer();
    w.write(rheaMessage.header({ delivery_count: deliveryCount, first_acquirer: deliveryCount === 0 }).described());
    const items = this.annotations.slice();
    for (const [k, v] of Object.entries(ann)) {
      removeKey(items, k);
      items.push(types.wrap_symbol(k), v);
    }
    w.write(types.described(types.wrap_ulong(SECTION.messageAnnotations), types.Map32(items)));
    const parts = [w.toBuffer()];
    if (this.properties) parts.push(this.properties);
    if (this.appProps.length) {
      const a = new types.Writer();
      a.write(types.described(types.wrap_ulong(SECTION.applicationProperties), types.Map32(this.appProps)));
      parts.push(a.toBuffer());
    }
    return Buffer.concat(parts.concat(this.rest));
  }
}

function removeKey(items, key) {
  for (let i = 0; i + 1 < items.length; i += 2) {
    if (String(items[i].value) === key) {
      items.splice(i, 2);
      return;
    }
  }
}

function messageIdOf(propertiesList) {
  const first = propertiesList && propertiesList.value && propertiesList.value[0];
  if (!first || first.value === null || first.value === undefined) return undefined;
  const v = first.value;
  if (Buffer.isBuffer(v)) return v.toString('hex');
  return String(v);
}

// unpack returns the encoded messages a transfer carries: the message itself,
// or each data section of a batch envelope.
function unpack(format, raw) {
  if (!format) return [raw];
  if (format !== BATCH_FORMAT) throw new Error('unsupported message format 0x' + format.toString(16));
  return splitSections(raw)
    .filter((s) => s.code === SECTION.data)
    .map((s) => s.typed.value);
}

// Lock tokens: kept as RFC 4122 byte order (how $management carries them as
// uuid values); the delivery tag carries the .NET GUID byte order.
function newLockToken() {
  return crypto.randomBytes(16);
}
function dotnetOrder(token) {
  const t = Buffer.from(token);
  [t[0], t[3]] = [t[3], t[0]];
  [t[1], t[2]] = [t[2], t[1]];
  [t[4], t[5]] = [t[5], t[4]];
  [t[6], t[7]] = [t[7], t[6]];
  return t;
}

// checkSAS validates a "SharedAccessSignature sr=…&sig=…&se=…&skn=…" token the
// way Service Bus does: known key name, HMAC-SHA256 over "sr\nse" with the
// key, not expired, and issued for the audience (or a prefix of it).
// Returns null when valid, else the reason.
function checkSAS(token, audience, keyName, key, now = Date.now()) {
  if (typeof token !== 'string' || !token.startsWith('SharedAccessSignature ')) return 'not a shared access signature';
  const fields = {};
  for (const part of token.slice('SharedAccessSignature '.length).split('&')) {
    const i = part.indexOf('=');
    if (i > 0) fields[part.slice(0, i)] = part.slice(i + 1);
  }
  const { sr, sig, se, skn } = fields;
  if (!sr || !sig || !se || !skn) return 'malformed shared access signature';
  if (skn !== keyName) return `unknown SharedAccessKeyName '${skn}'`;
  const want = crypto.createHmac('sha256', key).update(sr + '\n' + se).digest();
  const got = Buffer.from(decodeURIComponent(sig), 'base64');
  if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) return 'signature does not match the SharedAccessKey';
  if (Number(se) * 1000 < now) return 'token expired';
  const resource = decodeURIComponent(sr).toLowerCase();
  const aud = String(audience).toLowerCase();
  if (!aud.startsWith(resource.replace(/\/$/, ''))) return `token is for '${resource}', not '${aud}'`;
  return null;
}

module.exports = { BATCH_FORMAT, StoredMessage, unpack, newLockToken, dotnetOrder, checkSAS, types, rheaMessage };
