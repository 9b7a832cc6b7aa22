// Runs the trailwarden CLI (arguments as given) and reports the process's peak resident set on stderr at
// exit, so a test can hold a command to a memory bound from outside.
process.on('exit', () => process.stderr.write(`\npeak-rss-kb ${process.resourceUsage().maxRSS}\n`));
await import('../../bin/trailwarden.js');
