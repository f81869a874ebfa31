'use strict'
// Registers snappy, lz4 and zstd compression codecs with kafkajs 2.2.4, which
// ships only gzip. Every codec here is pure JavaScript (or WebAssembly shipped
// inside the npm package): nothing is compiled at install time.
//   snappy: kafkajs-snappy (snappyjs). Writes raw snappy blocks (no xerial
//           framing); reads raw or xerial-framed.
//   lz4:    lz4js (LZ4 frame format, which is what Kafka's lz4 codec uses).
//           The usual plugin, kafkajs-lz4, needs the native `lz4` module
//           (node-gyp), so it is not used.
//   zstd:   zstd-codec (zstd compiled to asm.js/wasm by Emscripten).
//           The usual plugin, @kafkajs/zstd, needs a native build (cppzst).
const { CompressionTypes, CompressionCodecs } = require('kafkajs')
const SnappyCodec = require('kafkajs-snappy')
const lz4 = require('lz4js')
const { ZstdCodec } = require('zstd-codec')

let zstdReady = null
function zstd() {
  if (!zstdReady) {
    zstdReady = new Promise(resolve => ZstdCodec.run(z => resolve(z)))
  }
  return zstdReady
}

const LZ4Codec = () => ({
  async compress(encoder) {
    return Buffer.from(lz4.compress(encoder.buffer))
  },
  async decompress(buffer) {
    return Buffer.from(lz4.decompress(buffer))
  },
})

const ZstdCodecPlugin = () => ({
  async compress(encoder) {
    const z = await zstd()
    const out = new z.Simple().compress(new Uint8Array(encoder.buffer), 3)
    if (!out) throw new Error('zstd compress failed')
    return Buffer.from(out)
  },
  async decompress(buffer) {
    const z = await zstd()
    const src = new Uint8Array(buffer)
    // Simple needs the content size in the frame header; Streaming does not.
    let out = new z.Simple().decompress(src)
    if (!out) out = new z.Streaming().decompress(src)
    if (!out) throw new Error('zstd decompress failed')
    return Buffer.from(out)
  },
})

function registerCodecs() {
  CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec
  CompressionCodecs[CompressionTypes.LZ4] = LZ4Codec
  CompressionCodecs[CompressionTypes.ZSTD] = ZstdCodecPlugin
}

module.exports = { registerCodecs, LZ4Codec, ZstdCodecPlugin, SnappyCodec }
