'use strict'
// test_groups_kafkajs.js — a kafkajs 2.2.4 consumer group (eachMessage)
// across a broker restart (run by test_groups_kafkajs.sh, which passes
// STRAIT_BROKER_BIN, STRAIT_BROKER_CONFIG and STRAIT_TMP). This script starts
// the broker itself (it has to restart it) and stops it by pid at exit; the
// broker's pid is kept in $STRAIT_TMP/broker.pid for the wrapper.
//
// Asserts: N records produced to a 3-partition topic are consumed exactly once
// by a one-member group with eachMessage and an explicit commitOffsets after
// each record (autoCommit off); describeGroups shows the group Stable with
// one member and the range protocol while it runs, Empty after disconnect;
// fetchOffsets equals the end offsets. More records are produced, the broker
// is stopped (SIGTERM, exit 0) and started again on the same data dir and
// port, more records are produced, and a new consumer in the same group
// (fromBeginning: true, so a lost commit would replay everything) receives
// exactly the records after the committed position: nothing repeated,
// nothing skipped, every partition resumed at its committed offset. Then a
// second group with autoCommit on (kafkajs's default commit path) consumes,
// disconnects, and after another restart resumes where it left off.
//
// Prints "ok - ..." / "FAIL - ..." lines; the wrapper counts them.
const path = require('path')
const fs = require('fs')
const { spawn } = require('child_process')
const nodeRequire = require('module').createRequire(path.join(__dirname, 'node', 'package.json'))
const { Kafka, logLevel, Partitioners } = nodeRequire('kafkajs')

const BIN = process.env.STRAIT_BROKER_BIN
const CONFIG = process.env.STRAIT_BROKER_CONFIG
const TMP = process.env.STRAIT_TMP
if (!BIN || !CONFIG || !TMP) {
  console.error('STRAIT_BROKER_BIN, STRAIT_BROKER_CONFIG and STRAIT_TMP must be set (run test_groups_kafkajs.sh)')
  process.exit(2)
}

let failures = 0
let passes = 0
const ok = desc => {
  passes++
  console.log(`ok - ${desc}`)
}
const fail = (desc, detail) => {
  failures++
  console.log(`FAIL - ${desc}${detail !== undefined ? ': ' + String(detail).slice(0, 700) : ''}`)
}
const check = (desc, cond, detail) => (cond ? ok(desc) : fail(desc, detail))
const eq = (desc, want, got) => {
  const w = JSON.stringify(want)
  const g = JSON.stringify(got)
  if (w === g) ok(desc)
  else fail(desc, `expected ${w} got ${g}`)
}
const note = text => console.log(`# ${text}`)
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const within = (ms, promise, what) => {
  let t
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(t))
}
const t0 = Date.now()
const trace = msg => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(3)}] ${msg}\n`)

// ---------------------------------------------------------------- broker
const dataDir = path.join(TMP, 'kjs-data')
fs.mkdirSync(dataDir, { recursive: true })
let broker = null // { proc, exited: Promise<code> }
let port = 0
let starts = 0

function startBroker() {
  starts++
  const logPath = path.join(TMP, `kjs-broker.${starts}.log`)
  const out = fs.openSync(logPath, 'w')
  const proc = spawn(
    BIN,
    [
      '--config', CONFIG,
      '--override', `log.dirs=${dataDir}`,
      '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`,
      '--override', 'num.partitions=3',
      '--override', 'group.initial.rebalance.delay.ms=0',
    ],
    { stdio: ['ignore', out, out] }
  )
  fs.closeSync(out)
  fs.writeFileSync(path.join(TMP, 'broker.pid'), String(proc.pid))
  const exited = new Promise(resolve => proc.on('exit', (code, signal) => resolve(signal ? 128 : code)))
  broker = { proc, exited, logPath, alive: true }
  exited.then(() => {
    if (broker && broker.proc === proc) broker.alive = false
  })
  return (async () => {
    for (let i = 0; i < 150; i++) {
      const log = fs.readFileSync(logPath, 'utf8')
      const m = log.match(/listening on 127\.0\.0\.1:(\d+)/)
      if (m) {
        port = Number(m[1])
        return
      }
      if (!broker.alive) throw new Error(`broker exited during start-up:\n${log}`)
      await sleep(100)
    }
    throw new Error('broker did not start within 15 s')
  })()
}

async function stopBroker() {
  if (!broker || !broker.alive) return null
  broker.proc.kill('SIGTERM')
  const code = await Promise.race([broker.exited, sleep(30000).then(() => 'timeout')])
  if (code === 'timeout') {
    broker.proc.kill('SIGKILL')
    await broker.exited
  }
  broker.alive = false
  return code
}

function killBrokerSync() {
  if (broker && broker.alive) {
    try {
      broker.proc.kill('SIGKILL')
    } catch (e) {
      /* already gone */
    }
  }
}
process.on('exit', killBrokerSync)
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    killBrokerSync()
    process.exit(130)
  })
}

// ---------------------------------------------------------------- clients
const logCreator = () => ({ namespace, label, log }) => {
  trace(`kafkajs ${label} ${namespace}: ${log.message} ${log.error || ''}`)
}
const client = () =>
  new Kafka({
    clientId: 'strait-groups-kafkajs',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.WARN,
    logCreator,
    connectionTimeout: 3000,
    requestTimeout: 15000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
  })

const TOPIC = 'kjs-groups'
const NPART = 3

async function produce(from, to) {
  const producer = client().producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  for (let i = from; i < to; i += 100) {
    const messages = []
    for (let k = i; k < Math.min(to, i + 100); k++) messages.push({ key: `k-${k}`, value: `value-${k}` })
    await producer.send({ topic: TOPIC, acks: -1, messages })
  }
  await producer.disconnect()
}

// Consumes with a fresh consumer in `group` until `want` records arrived (or
// timeout), waits `settleMs` more to catch extras, disconnects. Returns
// { seen: Map key -> count, firstOffsets: {partition: first offset received}, describe }.
async function consume(group, want, { autoCommit = false, timeoutMs = 60000, settleMs = 2000 } = {}) {
  const kafka = client()
  const consumer = kafka.consumer({
    groupId: group,
    sessionTimeout: 10000,
    rebalanceTimeout: 10000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 100,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
  })
  const seen = new Map()
  const firstOffsets = {}
  const commitErrors = []
  let count = 0
  await consumer.connect()
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
  await consumer.run({
    autoCommit,
    ...(autoCommit ? { autoCommitInterval: 200 } : {}),
    eachMessage: async ({ topic, partition, message }) => {
      const key = message.key.toString()
      seen.set(key, (seen.get(key) || 0) + 1)
      if (!(partition in firstOffsets)) firstOffsets[partition] = Number(message.offset)
      count++
      if (!autoCommit) {
        try {
          await consumer.commitOffsets([{ topic, partition, offset: String(BigInt(message.offset) + 1n) }])
        } catch (e) {
          commitErrors.push(String(e))
        }
      }
    },
  })
  const deadline = Date.now() + timeoutMs
  while (count < want && Date.now() < deadline) await sleep(50)
  let describe = null
  try {
    const admin = kafka.admin()
    await admin.connect()
    describe = (await admin.describeGroups([group])).groups[0]
    await admin.disconnect()
  } catch (e) {
    describe = { error: String(e) }
  }
  await sleep(settleMs)
  await within(30000, consumer.disconnect(), 'consumer.disconnect')
  return { seen, firstOffsets, commitErrors, describe }
}

async function groupOffsets(group) {
  const admin = client().admin()
  await admin.connect()
  const committed = (await admin.fetchOffsets({ groupId: group, topics: [TOPIC] }))[0].partitions
  const ends = await admin.fetchTopicOffsets(TOPIC)
  const describe = (await admin.describeGroups([group])).groups[0]
  await admin.disconnect()
  const c = {}
  for (const p of committed) c[p.partition] = Number(p.offset)
  const e = {}
  for (const p of ends) e[p.partition] = Number(p.high)
  return { committed: c, ends: e, describe }
}

function checkExactly(label, seen, from, to) {
  const missing = []
  const dup = []
  const extra = []
  for (let i = from; i < to; i++) {
    const n = seen.get(`k-${i}`) || 0
    if (n === 0) missing.push(i)
    if (n > 1) dup.push(i)
  }
  for (const [k, n] of seen) {
    const i = Number(k.slice(2))
    if (!(i >= from && i < to)) extra.push(`${k}x${n}`)
  }
  if (!missing.length && !dup.length && !extra.length)
    ok(`${label}: records ${from}..${to - 1} each received exactly once, nothing else`)
  else
    fail(
      `${label}: records ${from}..${to - 1} each received exactly once, nothing else`,
      `${missing.length} missing (${missing.slice(0, 5)}), ${dup.length} repeated (${dup.slice(0, 5)}), ` +
        `${extra.length} outside the range (${extra.slice(0, 5)})`
    )
}

async function restart(label) {
  const code = await stopBroker()
  eq(`${label}: broker exits 0 on SIGTERM`, 0, code)
  const t = Date.now()
  await startBroker()
  ok(`${label}: broker restarted on the same data dir and port ${port} (${((Date.now() - t) / 1000).toFixed(1)} s)`)
}

// ---------------------------------------------------------------- test
async function main() {
  await startBroker()
  trace(`broker on port ${port}`)
  const admin = client().admin()
  await admin.connect()
  const created = await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: NPART }], waitForLeaders: true })
  check('topic created with 3 partitions', created)
  await admin.disconnect()

  // --- manual commits, broker restart
  const G = 'kjs-group-manual'
  const N = 600
  const M = 200
  const K = 150
  await produce(0, N)
  const r1 = await consume(G, N)
  checkExactly('first consumer (eachMessage, commitOffsets per record)', r1.seen, 0, N)
  eq('no commitOffsets call failed', [], r1.commitErrors.slice(0, 3))
  const d1 = r1.describe || {}
  eq(
    'describeGroups while consuming: Stable, one member, protocol type consumer, protocol RoundRobinAssigner',
    ['Stable', 1, 'consumer', 'RoundRobinAssigner'],
    [d1.state, (d1.members || []).length, d1.protocolType, d1.protocol]
  )
  let g = await groupOffsets(G)
  eq('after disconnect the group is Empty', 'Empty', g.describe.state)
  eq('committed offsets (fetchOffsets) equal the end offsets', g.ends, g.committed)
  const beforeRestart = g.committed

  await produce(N, N + M)
  await restart('restart 1')
  await produce(N + M, N + M + K)
  g = await groupOffsets(G)
  eq('after the restart the committed offsets are the same', beforeRestart, g.committed)
  eq('after the restart the group is listed Empty', 'Empty', g.describe.state)
  const r2 = await consume(G, M + K)
  checkExactly('consumer after the restart resumes at the committed position', r2.seen, N, N + M + K)
  eq('each partition resumed exactly at its committed offset', beforeRestart, r2.firstOffsets)
  g = await groupOffsets(G)
  eq('committed offsets equal the end offsets again', g.ends, g.committed)

  // --- kafkajs's own auto-commit path, another restart
  const GA = 'kjs-group-auto'
  const total = N + M + K
  const r3 = await consume(GA, total, { autoCommit: true })
  checkExactly('auto-commit group reads everything once', r3.seen, 0, total)
  g = await groupOffsets(GA)
  eq('auto-commit group: committed offsets equal the end offsets after disconnect', g.ends, g.committed)
  await restart('restart 2')
  await produce(total, total + 90)
  const r4 = await consume(GA, 90)
  checkExactly('auto-commit group after the restart: only the new records', r4.seen, total, total + 90)
  const r5 = await consume(G, 90)
  checkExactly('manual group after the second restart: only the new records', r5.seen, total, total + 90)

  check('broker still running after the clients', broker.alive)
  const code = await stopBroker()
  eq('broker exits 0 on SIGTERM at the end', 0, code)
}

const overall = setTimeout(() => {
  fail('the kafkajs group test finishes within 240 s')
  finish()
}, 240000)

function finish() {
  clearTimeout(overall)
  killBrokerSync()
  console.log(`# test_groups_kafkajs.js: ${((Date.now() - t0) / 1000).toFixed(0)} s`)
  console.log(`${passes} passed, ${failures} failed`)
  process.exit(failures ? 1 : 0)
}

main()
  .catch(e => {
    fail('kafkajs group test ran to the end', e && e.stack ? e.stack : e)
    if (broker) {
      try {
        trace(`broker log:\n${fs.readFileSync(broker.logPath, 'utf8').split('\n').slice(-30).join('\n')}`)
      } catch (e2) {
        /* no log */
      }
    }
  })
  .finally(finish)
