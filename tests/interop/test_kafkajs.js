'use strict'
// test_kafkajs.js — kafkajs 2.2.4 against a Strait broker (run by
// test_kafkajs.sh, which starts the broker and passes STRAIT_BOOTSTRAP,
// STRAIT_DATA_DIR and STRAIT_PYTHON).
//
// Asserts: admin createTopics (partitions, configs, validateOnly, an existing
// topic), fetchTopicMetadata, listTopics, createPartitions, describeConfigs
// (topic and broker, filtered by name, with config sources), deleteTopics,
// fetchTopicOffsets and fetchTopicOffsetsByTimestamp; producers with acks=-1
// for every codec (none, gzip, snappy, lz4, zstd via codecs.js) and an
// idempotent producer (plain and gzip). kafkajs has no consumer without a
// group, so what it produced is read back with kcat (-J) and checked record by
// record (keys, values, headers, timestamps, offsets); the stored batches are
// checked on disk for the codec and, for the idempotent producer, one
// producer id with contiguous sequence numbers.
//
// Prints "ok - ..." / "FAIL - ..." lines; the wrapper counts them.
const path = require('path')
const fs = require('fs')
const { execFileSync } = require('child_process')
// the packages live in tests/interop/node (package.json + lock file there)
const nodeRequire = require('module').createRequire(path.join(__dirname, 'node', 'package.json'))
const { Kafka, logLevel, CompressionTypes, ConfigResourceTypes } = nodeRequire('kafkajs')
const { registerCodecs } = nodeRequire('./codecs')

registerCodecs()

const BS = process.env.STRAIT_BOOTSTRAP
const DATA = process.env.STRAIT_DATA_DIR
const PY = process.env.STRAIT_PYTHON || '/usr/bin/python3'
if (!BS || !DATA) {
  console.error('STRAIT_BOOTSTRAP and STRAIT_DATA_DIR must be set (run test_kafkajs.sh)')
  process.exit(2)
}

let failures = 0
const ok = desc => console.log(`ok - ${desc}`)
const fail = (desc, detail) => {
  failures++
  console.log(`FAIL - ${desc}${detail !== undefined ? ': ' + String(detail).slice(0, 600) : ''}`)
}
const check = (desc, cond, detail) => (cond ? ok(desc) : fail(desc, detail))
const eq = (desc, want, got) => {
  const w = JSON.stringify(want)
  const g = JSON.stringify(got)
  if (w === g) ok(desc)
  else fail(desc, `expected ${w} got ${g}`)
}
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const within = (ms, promise, what) =>
  Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)),
  ])

// kafkajs logs go to stderr, errors only
const logCreator = () => ({ namespace, label, log }) => {
  process.stderr.write(`kafkajs ${label} ${namespace}: ${log.message} ${log.error || ''}\n`)
}
const kafka = new Kafka({
  clientId: 'strait-kafkajs',
  brokers: [BS],
  logLevel: logLevel.ERROR,
  logCreator,
  connectionTimeout: 3000,
  requestTimeout: 10000,
  retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
})

const CODECS = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
}

// Records of topic/partition as kcat -J prints them.
function kcatRead(topic, partition) {
  const out = execFileSync(
    'kcat',
    ['-b', BS, '-m', '15', '-C', '-q', '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-J'],
    { timeout: 30000, encoding: 'utf8', maxBuffer: 64 << 20 }
  )
  return out
    .split('\n')
    .filter(l => l.trim())
    .map(l => JSON.parse(l))
}

// kcat 1.7 prints headers as ["k1","v1","k2","v2"]; normalise to [[k, v], ...]
function kcatHeaders(m) {
  const h = m.headers
  if (!h) return []
  if (Array.isArray(h)) {
    const out = []
    for (let i = 0; i + 1 < h.length; i += 2) out.push([h[i], h[i + 1]])
    return out
  }
  return Object.entries(h)
}

// Batches of a partition on disk: [{codec, producerId, epoch, baseSeq, base, count}]
function diskBatches(topic, partition) {
  const script = `
import glob, json, struct, sys
out = []
for path in sorted(glob.glob(sys.argv[1] + "/*.log")):
    d = open(path, "rb").read()
    p = 0
    while p + 61 <= len(d):
        base, length = struct.unpack(">qi", d[p:p + 12])
        if length <= 0:
            break
        attrs, lod = struct.unpack(">hi", d[p + 21:p + 27])
        pid, epoch, seq, count = struct.unpack(">qhii", d[p + 43:p + 61])
        out.append(dict(codec=attrs & 7, producerId=pid, epoch=epoch, baseSeq=seq, base=base, count=lod + 1))
        p += 12 + length
print(json.dumps(out))
`
  const out = execFileSync(PY, ['-c', script, path.join(DATA, `${topic}-${partition}`)], {
    encoding: 'utf8',
    timeout: 30000,
  })
  return JSON.parse(out)
}

const admin = kafka.admin()

async function testAdmin() {
  await within(15000, admin.connect(), 'admin.connect')
  ok('admin connects')

  const created = await within(
    20000,
    admin.createTopics({
      topics: [
        {
          topic: 'js-a',
          numPartitions: 4,
          replicationFactor: 1,
          configEntries: [
            { name: 'retention.ms', value: '3600000' },
            { name: 'cleanup.policy', value: 'delete' },
          ],
        },
        { topic: 'js-del', numPartitions: 2 },
      ],
      timeout: 10000,
    }),
    'createTopics'
  )
  eq('createTopics: js-a (4 partitions, configs) and js-del are created', true, created)
  const again = await within(20000, admin.createTopics({ topics: [{ topic: 'js-a', numPartitions: 4 }] }), 'createTopics')
  eq('createTopics: an existing topic returns false (TOPIC_ALREADY_EXISTS)', false, again)
  const validated = await within(
    20000,
    admin.createTopics({ topics: [{ topic: 'js-validate', numPartitions: 3 }], validateOnly: true, waitForLeaders: false }),
    'createTopics validateOnly'
  )
  eq('createTopics validateOnly: succeeds', true, validated)

  let topics = await within(15000, admin.listTopics(), 'listTopics')
  check('listTopics: js-a and js-del are listed', topics.includes('js-a') && topics.includes('js-del'), topics)
  check('listTopics: validateOnly created nothing', !topics.includes('js-validate'), topics)

  const md = await within(15000, admin.fetchTopicMetadata({ topics: ['js-a'] }), 'fetchTopicMetadata')
  const parts = md.topics[0].partitions.slice().sort((a, b) => a.partitionId - b.partitionId)
  eq(
    'fetchTopicMetadata: js-a has partitions 0..3, each led by broker 0 with replicas and ISR [0]',
    [0, 1, 2, 3].map(p => [p, 0, [0], [0], 0]),
    parts.map(p => [p.partitionId, p.leader, p.replicas, p.isr, p.partitionErrorCode])
  )

  let bad = null
  try {
    await within(15000, admin.createTopics({ topics: [{ topic: 'js bad name!', numPartitions: 1 }] }), 'createTopics')
  } catch (e) {
    bad = e
  }
  const badType = bad && (bad.type || (bad.errors && bad.errors[0] && bad.errors[0].type))
  eq('createTopics: an invalid name fails with INVALID_TOPIC_EXCEPTION', 'INVALID_TOPIC_EXCEPTION', badType)

  await within(20000, admin.createPartitions({ topicPartitions: [{ topic: 'js-a', count: 6 }] }), 'createPartitions')
  const md2 = await within(15000, admin.fetchTopicMetadata({ topics: ['js-a'] }), 'fetchTopicMetadata')
  eq('createPartitions: js-a grows from 4 to 6 partitions', 6, md2.topics[0].partitions.length)
  let shrink = null
  try {
    await within(15000, admin.createPartitions({ topicPartitions: [{ topic: 'js-a', count: 2 }] }), 'createPartitions')
  } catch (e) {
    shrink = e
  }
  eq('createPartitions: shrinking fails with INVALID_PARTITIONS', 'INVALID_PARTITIONS', shrink && shrink.type)

  const dc = await within(
    15000,
    admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: 'js-a', configNames: ['retention.ms', 'segment.bytes'] }],
      includeSynonyms: false,
    }),
    'describeConfigs'
  )
  const r0 = dc.resources[0]
  const byName = Object.fromEntries(r0.configEntries.map(e => [e.configName, e]))
  eq('describeConfigs topic: no error', 0, r0.errorCode)
  eq('describeConfigs topic: only the 2 names asked for', ['retention.ms', 'segment.bytes'], Object.keys(byName).sort())
  const rm = byName['retention.ms'] || {}
  eq('describeConfigs topic: retention.ms = 3600000, a topic config (source 1), not default', ['3600000', false, 1], [
    rm.configValue,
    rm.isDefault,
    rm.configSource,
  ])
  const sb = byName['segment.bytes'] || {}
  check(
    'describeConfigs topic: segment.bytes = 1073741824 from the defaults (source 5 or static broker 4)',
    sb.configValue === '1073741824' && [4, 5].includes(sb.configSource),
    JSON.stringify(sb)
  )
  const dcb = await within(
    15000,
    admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.BROKER, name: '0', configNames: ['num.partitions'] }],
      includeSynonyms: false,
    }),
    'describeConfigs'
  )
  const be = dcb.resources[0].configEntries
  eq('describeConfigs broker 0: num.partitions = 3 (the --override)', [['num.partitions', '3']], be.map(e => [e.configName, e.configValue]))

  await within(20000, admin.deleteTopics({ topics: ['js-del'], timeout: 10000 }), 'deleteTopics')
  let gone = false
  for (let i = 0; i < 50 && !gone; i++) {
    topics = await within(15000, admin.listTopics(), 'listTopics')
    gone = !topics.includes('js-del')
    if (!gone) await sleep(100)
  }
  check('deleteTopics: js-del is no longer listed', gone, topics)
}

async function produceCodec(name) {
  const topic = `js-codec-${name}`
  const producer = kafka.producer({ allowAutoTopicCreation: true })
  await within(15000, producer.connect(), 'producer.connect')
  const t0 = 1700000000000
  const messages = []
  for (let i = 0; i < 200; i++) {
    messages.push({
      key: i % 7 === 0 ? null : `key-${i}`,
      value: `value ${i} ${name} ` + 'compressible text '.repeat(i % 13),
      headers: { h1: `v${i}`, 'hdr-two': 'x' },
      timestamp: String(t0 + i * 10),
      partition: 0,
    })
  }
  const res = []
  for (let i = 0; i < messages.length; i += 50) {
    const r = await within(
      20000,
      producer.send({ topic, acks: -1, compression: CODECS[name], messages: messages.slice(i, i + 50) }),
      `send ${name}`
    )
    res.push(...r)
  }
  await producer.disconnect()
  eq(
    `${name}: 4 sends of 50 acknowledged at base offsets 0, 50, 100, 150`,
    [0, 50, 100, 150].map(o => [0, String(o), 0]),
    res.map(r => [r.errorCode, r.baseOffset, r.partition])
  )
  const got = kcatRead(topic, 0)
  const want = messages.map((m, i) => ({
    offset: i,
    key: m.key,
    payload: m.value,
    ts: Number(m.timestamp),
    headers: [['h1', m.headers.h1], ['hdr-two', 'x']],
  }))
  const have = got.map(m => ({ offset: m.offset, key: m.key, payload: m.payload, ts: m.ts, headers: kcatHeaders(m) }))
  const firstBad = want.findIndex((w, i) => JSON.stringify(w) !== JSON.stringify(have[i]))
  check(
    `${name}: kcat reads all 200 back: offsets, keys (incl. null), values, headers, timestamps`,
    have.length === 200 && firstBad === -1,
    firstBad >= 0 ? `record ${firstBad}: want ${JSON.stringify(want[firstBad])} got ${JSON.stringify(have[firstBad])}` : `${have.length} records`
  )
  const codecs = [...new Set(diskBatches(topic, 0).map(b => b.codec))]
  eq(`${name}: the stored batches keep the codec`, [Object.keys(CODECS).indexOf(name)], codecs)
}

async function produceIdempotent(topic, compression) {
  const label = `idempotent${compression ? ' gzip' : ''}`
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await within(15000, producer.connect(), 'producer.connect')
  const perPartition = [0, 0, 0]
  const errors = []
  for (let b = 0; b < 30; b++) {
    const messages = []
    for (let j = 0; j < 50; j++) {
      const p = (b + j) % 3
      messages.push({ partition: p, key: `k${p}`, value: `p=${p} seq=${perPartition[p]++}` })
    }
    const r = await within(20000, producer.send({ topic, acks: -1, compression, messages }), `${label} send`)
    for (const x of r) if (x.errorCode !== 0) errors.push(x)
  }
  await producer.disconnect()
  eq(`${label}: 30 sends of 50 records acknowledged without error`, [], errors)
  let allGood = true
  let detail = ''
  for (let p = 0; p < 3; p++) {
    const got = kcatRead(topic, p).map(m => [m.offset, m.payload])
    const want = Array.from({ length: perPartition[p] }, (_, i) => [i, `p=${p} seq=${i}`])
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      allGood = false
      detail = `partition ${p}: ${got.length} records, want ${want.length}; first ${JSON.stringify(got.slice(0, 2))}`
    }
  }
  check(`${label}: every record once, in order, at offsets 0.. in each partition (read with kcat)`, allGood, detail)
  const pids = new Set()
  let seqOk = true
  for (let p = 0; p < 3; p++) {
    let next = 0
    for (const b of diskBatches(topic, p)) {
      pids.add(`${b.producerId}/${b.epoch}`)
      if (b.baseSeq !== next || b.base !== next) seqOk = false
      next += b.count
      if (compression && b.codec !== 1) seqOk = false
    }
  }
  check(
    `${label}: on disk one producer id, contiguous sequences${compression ? ', gzip batches' : ''}`,
    pids.size === 1 && ![...pids][0].startsWith('-1') && seqOk,
    `${[...pids]} sequences ok: ${seqOk}`
  )
}

async function testOffsets() {
  const topic = 'js-ts' // auto-created (3 partitions); everything goes to partition 0
  const producer = kafka.producer()
  await within(15000, producer.connect(), 'producer.connect')
  const T0 = 1600000000000
  for (let i = 0; i < 10; i++) {
    await within(
      20000,
      producer.send({ topic, acks: -1, messages: [{ partition: 0, value: `t${i}`, timestamp: String(T0 + i * 1000) }] }),
      'send'
    )
  }
  await producer.disconnect()
  const offs = await within(15000, admin.fetchTopicOffsets(topic), 'fetchTopicOffsets')
  eq(
    'fetchTopicOffsets: partition 0 low 0, high 10; the others empty',
    [[0, '0', '10'], [1, '0', '0'], [2, '0', '0']],
    offs.map(o => [o.partition, o.low, o.high]).sort((a, b) => a[0] - b[0])
  )
  const at = async ts =>
    (await within(15000, admin.fetchTopicOffsetsByTimestamp(topic, ts), 'byTimestamp')).find(o => o.partition === 0).offset
  eq('fetchTopicOffsetsByTimestamp: between two records gives the later one', '4', await at(T0 + 3500))
  eq('fetchTopicOffsetsByTimestamp: an exact timestamp gives that record', '7', await at(T0 + 7000))
  eq('fetchTopicOffsetsByTimestamp: before all records gives 0', '0', await at(1000))
  eq('fetchTopicOffsetsByTimestamp: after all records gives the end (10)', '10', await at(T0 + 100000))
}

async function main() {
  const steps = [
    ['admin', testAdmin],
    ...Object.keys(CODECS).map(c => [`produce ${c}`, () => produceCodec(c)]),
    ['idempotent', () => produceIdempotent('js-idem', undefined)],
    ['idempotent gzip', () => produceIdempotent('js-idem-gzip', CompressionTypes.GZIP)],
    ['offsets', testOffsets],
  ]
  for (const [name, fn] of steps) {
    try {
      await fn()
    } catch (e) {
      fail(`${name}: ${e.name || 'Error'}`, `${e.message}${e.type ? ' (' + e.type + ')' : ''}`)
    }
  }
  try {
    await within(5000, admin.disconnect(), 'admin.disconnect')
  } catch (e) {
    // nothing to clean up when it never connected
  }
  process.exit(failures ? 1 : 0)
}

main()
