/**
 * `npm run crash-payments -- [seed] [payments] [kills] [leaseCrashes] [crashRate]`: the
 * full crash-safety run (docs/crash-safety.md), 1,000 payments by default,
 * through the embedded deployment with real LDK; prints the summary and
 * every violation, and exits 1 if the promise was broken.
 */
import { runCrashPayments } from '../test/support/crash-payments.js';

const [seedArg, paymentsArg, killsArg, leaseArg, rateArg] = process.argv.slice(2);
const seed = seedArg === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(seedArg);
const payments = Number(paymentsArg ?? 1000);
const kills = Number(killsArg ?? Math.max(1, Math.round(payments / 50)));
const leaseCrashes = Number(leaseArg ?? Math.max(1, Math.round(payments / 200)));
const crashRate = Number(rateArg ?? 0.03);
if (!(crashRate >= 0 && crashRate <= 1)) {
  console.error('crashRate must be from 0 to 1');
  process.exit(2);
}
for (const [name, value] of Object.entries({ seed, payments, kills, leaseCrashes })) {
  if (!Number.isInteger(value) || value < 0) {
    console.error(`${name} must be a non-negative integer`);
    process.exit(2);
  }
}
console.log(`crash-payments: seed ${seed}, ${payments} payments, ${kills} kills, ${leaseCrashes} lease crashes, crash rate ${crashRate}`);
const report = await runCrashPayments({ seed, payments, kills, leaseCrashes, crashRate, log: (line) => console.log(`  ${new Date().toISOString().slice(11, 19)} ${line}`) });
console.log(JSON.stringify({ ...report, violations: report.violations.length }, null, 2));
for (const v of report.violations) console.log(`VIOLATION: ${v}`);
process.exit(report.violations.length === 0 ? 0 : 1);
