// Prints one plain closing line, `jest: N passed, N failed, N skipped`, that CI reads to count
// tests (jest's own summary line is not in a form CI recognizes).
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests, numRuntimeErrorTestSuites } = results;
    // A suite that fails to load runs no tests: count it as a failure so it cannot pass silently.
    const failed = numFailedTests + numRuntimeErrorTestSuites;
    const line = `jest: ${numPassedTests} passed, ${failed} failed, ${numPendingTests + numTodoTests} skipped`;
    // At exit, so it is the last line, after jest's own "Ran all test suites".
    process.once('exit', () => process.stderr.write(`\n${line}\n`));
  }
}
module.exports = SummaryReporter;
