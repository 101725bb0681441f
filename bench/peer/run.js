#!/usr/bin/env node
// Peer for bench/links_throughput.py: MetaMask's eth-phishing-detect (its bundled config.json
// and its own PhishingDetector, exactly what `require('eth-phishing-detect')` exports).
//
//   node bench/peer/run.js DOMAINS_FILE [--repeat N]
//
// Reads one domain per line, checks each with checkDomain(), and prints one JSON line:
// {"count", "seconds", "flagged", "setup_seconds", "version"}. Only the check loop is timed;
// loading the module (parsing config.json, splitting its lists) is reported as setup_seconds.
'use strict'

const fs = require('fs')

function main (argv) {
  const args = argv.slice(2)
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
    process.stdout.write('usage: node run.js DOMAINS_FILE [--repeat N]\n')
    return args.length === 0 ? 2 : 0
  }
  const file = args[0]
  const repeatAt = args.indexOf('--repeat')
  const repeat = repeatAt >= 0 ? Number(args[repeatAt + 1]) : 1
  const domains = fs.readFileSync(file, 'utf8').split('\n').map((d) => d.trim()).filter(Boolean)

  const setupStart = process.hrtime.bigint()
  const checkDomain = require('eth-phishing-detect')
  const setupSeconds = Number(process.hrtime.bigint() - setupStart) / 1e9

  let flagged = 0
  const start = process.hrtime.bigint()
  for (let r = 0; r < repeat; r++) {
    for (const domain of domains) {
      if (checkDomain(domain)) flagged++
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const version = require('eth-phishing-detect/package.json').version
  const out = {
    count: domains.length * repeat,
    seconds,
    flagged: flagged / repeat,
    setup_seconds: setupSeconds,
    version
  }
  process.stdout.write(JSON.stringify(out) + '\n')
  return 0
}

process.exitCode = main(process.argv)
