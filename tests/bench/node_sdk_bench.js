#!/usr/bin/env node
'use strict';
// Node.js baseline for tests/bench/bench.py: Alibaba's official SDK @alicloud/ecs20140526 doing
// DescribeCloudAssistantStatus against the local ECS emulator, the same work as ecs-ca-status.
//
//   NODE_PATH=<scratch>/node_modules NODE_EXTRA_CA_CERTS=<emulator ca.pem> \
//   ALIBABA_CLOUD_ACCESS_KEY_ID=testid ALIBABA_CLOUD_ACCESS_KEY_SECRET=testsecret \
//   node node_sdk_bench.js --endpoint 127.0.0.1:PORT --region cn-hangzhou --batch 50 < ids.txt
//
// Reads instance ids (one a line) from stdin, calls the API in batches of --batch ids, one call
// after the other (like ecs-ca-status), and prints one JSON line on stdout:
//   {"calls":N,"instances":N,"not_found":N,"ms":wall_ms_of_the_calls,
//    "cpu_ms":cpu_time_of_the_calls,"load_ms":ms_from_process_start_to_SDK_loaded,
//    "end_ms":ms_from_process_start_to_done}
// Exit 0 on success, 3 on an API error (message on stderr), 2 on bad usage.
//
// Host and port: the SDK takes `endpoint` verbatim as the Host header it signs (V3 signs `host`)
// and builds the URL as https://<endpoint>/, so "127.0.0.1:PORT" is both signed and sent as
// "Host: 127.0.0.1:PORT" by Node's https module: the emulator sees the same bytes and the V3
// signature verifies. No DNS trick or proxy is needed.

const Ecs = require('@alicloud/ecs20140526');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const loadMs = process.uptime() * 1000;   // Node start-up plus loading the SDK

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

async function main() {
  const endpoint = arg('--endpoint');
  const region = arg('--region', 'cn-hangzhou');
  const batch = parseInt(arg('--batch', '50'), 10);
  if (!endpoint || !(batch > 0)) {
    process.stderr.write('usage: node_sdk_bench.js --endpoint HOST:PORT [--region R] [--batch N] < ids\n');
    return 2;
  }
  const ids = require('fs').readFileSync(0, 'utf8').split('\n').map((s) => s.trim()).filter(Boolean);
  const config = new $OpenApiUtil.Config({
    accessKeyId: process.env.ALIBABA_CLOUD_ACCESS_KEY_ID,
    accessKeySecret: process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
    endpoint: endpoint,
    protocol: 'https',
    regionId: region,
  });
  const client = new Ecs.default(config);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let calls = 0, found = 0;
  for (let i = 0; i < ids.length; i += batch) {
    const chunk = ids.slice(i, i + batch);
    const req = new Ecs.DescribeCloudAssistantStatusRequest({
      regionId: region, instanceId: chunk, pageSize: chunk.length,
    });
    const resp = await client.describeCloudAssistantStatus(req);
    calls++;
    const set = resp.body.instanceCloudAssistantStatusSet;
    found += (set && set.instanceCloudAssistantStatus) ? set.instanceCloudAssistantStatus.length : 0;
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);   // whole process (all threads), the calls only
  process.stdout.write(JSON.stringify({
    calls, instances: found, not_found: ids.length - found, ms,
    cpu_ms: (cpu.user + cpu.system) / 1000, load_ms: loadMs, end_ms: process.uptime() * 1000,
  }) + '\n');
  return 0;
}

main().then((rc) => { process.exitCode = rc; }, (e) => {
  process.stderr.write('node-sdk: ' + (e && (e.code ? e.code + ': ' : '') + (e.message || e)) + '\n');
  process.exitCode = 3;
});
