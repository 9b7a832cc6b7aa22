export const USAGE = `Usage: trailwarden <command> [options]

Commands:
  scan PATH…   Run the rule catalogue over CloudTrail logs and print the findings.
               PATH is a file, a directory (searched recursively for .json, .json.gz,
               .jsonl, .jsonl.gz, .ndjson, .ndjson.gz) or - for stdin. Accepts CloudTrail
               log files ({"Records":[…]}), JSON Lines of records or EventBridge events.
    --format table|jsonl|ocsf   output format (default: table)
    --fail-on SEVERITY          exit 1 if a finding at or above SEVERITY exists
                                (critical, high, medium, low, info)
    --config FILE               detection config (default: ./trailwarden.config.json if present)
    --batch N                   events handed to the detector at a time (default: 1000)
    --summary                   also print alert volume per rule and per Annex A control

  rules        List the rule catalogue.
    --format table|json         output format (default: table)

  help         Show this help (also --help); --version prints the version.

Exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage or configuration error.
`;
