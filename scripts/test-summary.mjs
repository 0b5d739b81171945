// Prints the plain closing line CI reads: "N passed, N failed[, N skipped]".
// Usage: node scripts/test-summary.mjs <vitest json report> [lint failed: 0|1]
import { existsSync, readFileSync } from 'node:fs';

const [file, lintFailed = '0', testStatus = '0'] = process.argv.slice(2);
if (!existsSync(file)) {
  console.log('0 passed, 1 failed');
  console.error(`no test report at ${file}: the test run did not finish`);
  process.exit(1);
}
const r = JSON.parse(readFileSync(file, 'utf8'));
const passed = r.numPassedTests ?? 0;
// A file that failed to load has no tests of its own: count it as a failure.
const brokenFiles = (r.testResults ?? []).filter(
  (f) => f.status === 'failed' && f.assertionResults.length === 0,
);
let failed = (r.numFailedTests ?? 0) + brokenFiles.length + (lintFailed === '1' ? 1 : 0);
// Vitest fails a run on errors outside any test (an uncaught exception); the JSON has no count.
if (testStatus !== '0' && failed === 0) {
  console.error(
    'the test run failed outside any single test (see "Unhandled Errors" above): counted as one failure',
  );
  failed = 1;
}
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
if (lintFailed === '1') console.error('lint failed (counted as one failure)');
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
