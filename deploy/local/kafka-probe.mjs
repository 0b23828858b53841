// Kafka health probe for deploy/local/stack.sh: sends one Metadata request (v4) and exits 0 if the
// broker answers with at least one broker and an active controller.
//
// Why not a Kafka tool class: a JVM start costs 1.5-3 s on a 2-core machine, per probe. This is
// ~50 ms, needs no dependency (plain node:net) and still proves the broker serves metadata,
// which an open port alone does not.
//
//   node deploy/local/kafka-probe.mjs <host> <port> [timeout_ms]
// Prints "brokers=N controller=ID cluster=ID" on success; exit 1 on any failure.
/* global console */
// Node globals are imported explicitly: the repo's ESLint config does not declare them for .mjs.
import { Buffer } from 'node:buffer';
import net from 'node:net';
import process from 'node:process';

const [host = '127.0.0.1', portArg = '19092', timeoutArg = '3000'] = process.argv.slice(2);
const CORRELATION_ID = 0x5eed;
const clientId = Buffer.from('fraudscore-probe');

// Request header v1 + Metadata v4 body. v4 is the oldest version Kafka 4.x still accepts (KIP-896)
// and the newest that is not "flexible" (no compact encodings), so it is easy to write by hand.
const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4 + 1);
let o = 0;
o = body.writeInt16BE(3, o); // api key: Metadata
o = body.writeInt16BE(4, o); // api version
o = body.writeInt32BE(CORRELATION_ID, o);
o = body.writeInt16BE(clientId.length, o);
o += clientId.copy(body, o);
o = body.writeInt32BE(-1, o); // topics: null = all topics
body.writeInt8(0, o); // allow_auto_topic_creation: no
const frame = Buffer.concat([Buffer.alloc(4), body]);
frame.writeInt32BE(body.length, 0);

function fail(msg) {
  console.error(`kafka-probe: ${msg}`);
  process.exit(1);
}

function parse(buf) {
  let p = 0;
  const i16 = () => ((p += 2), buf.readInt16BE(p - 2));
  const i32 = () => ((p += 4), buf.readInt32BE(p - 4));
  const str = () => {
    const n = i16();
    if (n < 0) return null;
    p += n;
    return buf.toString('utf8', p - n, p);
  };
  if (i32() !== CORRELATION_ID) fail('unexpected correlation id');
  i32(); // throttle_time_ms
  const brokers = [];
  for (let n = i32(); n > 0; n--) {
    const id = i32();
    const h = str();
    const port = i32();
    str(); // rack
    brokers.push(`${id}@${h}:${port}`);
  }
  const cluster = str();
  const controller = i32();
  return { brokers, cluster, controller };
}

const socket = net.connect({ host, port: Number(portArg) });
socket.setTimeout(Number(timeoutArg), () => fail(`no answer within ${timeoutArg} ms`));
socket.on('error', (e) => fail(e.message));
socket.on('connect', () => socket.write(frame));
let acc = Buffer.alloc(0);
socket.on('data', (chunk) => {
  acc = Buffer.concat([acc, chunk]);
  if (acc.length < 4 || acc.length < 4 + acc.readInt32BE(0)) return;
  socket.destroy();
  const { brokers, cluster, controller } = parse(acc.subarray(4, 4 + acc.readInt32BE(0)));
  if (brokers.length === 0) fail('metadata lists no brokers yet');
  if (controller < 0) fail('no active controller yet');
  console.log(`brokers=${brokers.join(',')} controller=${controller} cluster=${cluster}`);
  process.exit(0);
});
