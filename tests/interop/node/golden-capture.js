'use strict'
// The kafkajs side of the golden capture (tests/golden/capture.sh).
//
// Against BOOTSTRAP (the recording proxy) it:
//   1. produces the same three records to golden-<codec>, partition 0, with
//      one client per compression codec (none, gzip, snappy, lz4, zstd);
//   2. produces them with an idempotent producer (InitProducerId) to
//      golden-idempotent;
//   3. consumes everything in group golden-group-kjs (FindCoordinator,
//      JoinGroup, SyncGroup, OffsetFetch, ListOffsets, Fetch, Heartbeat),
//      commits offsets explicitly (OffsetCommit) and disconnects (LeaveGroup).
// Each consumed record is printed as one line:
//   CONSUMED <topic> <partition> <offset> key=<k> value=<v> headers=<h:v,...>
// Exits non-zero if a step fails or not every record came back in time.
//
// Usage: node golden-capture.js BOOTSTRAP [codec ...]
const { Kafka, CompressionTypes, logLevel } = require('kafkajs')
const { registerCodecs } = require('./codecs')

registerCodecs()

const bootstrap = process.argv[2]
if (!bootstrap) {
  console.error('usage: node golden-capture.js BOOTSTRAP [codec ...]')
  process.exit(2)
}
const CODECS = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
}
const codecs = process.argv.length > 3 ? process.argv.slice(3) : Object.keys(CODECS)
const VALUE3 = 'value-3 ' + 'golden-padding-'.repeat(8) + 'end'
const RECORDS = [
  { partition: 0, key: 'key-1', value: 'value-1', headers: { h1: 'v1' } },
  { partition: 0, key: 'key-2', value: 'value-2', headers: { h1: 'v1', h2: 'v2' } },
  { partition: 0, key: null, value: VALUE3 },
]

// The idempotent producer keeps kafkajs's default retries (it warns otherwise).
const client = (clientId, idempotent = false) =>
  new Kafka({
    clientId,
    brokers: [bootstrap],
    logLevel: logLevel.WARN,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    ...(idempotent ? {} : { retry: { retries: 3, initialRetryTime: 200 } }),
  })

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

async function produce(topic, codec, idempotent) {
  const kafka = client(`golden-kjs-${idempotent ? 'idempotent' : codec}`, idempotent)
  const producer = kafka.producer(
    idempotent ? { idempotent: true, maxInFlightRequests: 1 } : {}
  )
  await producer.connect()
  await producer.send({ topic, acks: -1, compression: CODECS[codec], messages: RECORDS })
  await producer.disconnect()
  console.error(`golden-capture: produced ${RECORDS.length} records to ${topic} (${codec}${idempotent ? ', idempotent' : ''})`)
}

async function consume(topics) {
  const kafka = client('golden-kjs-consumer')
  const consumer = kafka.consumer({
    groupId: 'golden-group-kjs',
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 100,
  })
  const want = topics.length * RECORDS.length
  let got = 0
  const next = {}
  await consumer.connect()
  await consumer.subscribe({ topics, fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const hdrs = Object.entries(message.headers || {})
        .map(([k, v]) => `${k}:${v.toString()}`)
        .join(',')
      const key = message.key === null ? '(null)' : message.key.toString()
      console.log(`CONSUMED ${topic} ${partition} ${message.offset} key=${key} value=${message.value.toString()} headers=${hdrs}`)
      next[`${topic}/${partition}`] = { topic, partition, offset: (BigInt(message.offset) + 1n).toString() }
      got++
    },
  })
  const deadline = Date.now() + 45000
  while (got < want && Date.now() < deadline) await sleep(100)
  if (got < want) throw new Error(`consumed ${got} of ${want} records`)
  await sleep(2000) // let heartbeats flow
  await consumer.commitOffsets(Object.values(next))
  await consumer.disconnect()
  console.error(`golden-capture: consumed ${got} records, committed, left group`)
}

async function main() {
  const topics = []
  for (const codec of codecs) {
    if (!(codec in CODECS)) throw new Error(`unknown codec ${codec}`)
    topics.push(`golden-${codec}`)
    await produce(`golden-${codec}`, codec, false)
  }
  topics.push('golden-idempotent')
  await produce('golden-idempotent', 'none', true)
  await consume(topics)
}

const timer = setTimeout(() => {
  console.error('golden-capture: timed out')
  process.exit(1)
}, 90000)
main().then(
  () => {
    clearTimeout(timer)
    process.exit(0)
  },
  err => {
    console.error('golden-capture:', err)
    process.exit(1)
  }
)
