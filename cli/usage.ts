/**
 * Help text: one section per command, so `trailwarden COMMAND --help` prints that command's own usage and
 * `trailwarden --help` all of them. A command missing here fails the help test over the command registry.
 */
export const COMMAND_USAGE = {
  scan: `  scan PATH…   Run the rule catalogue over CloudTrail logs and print the findings.
               PATH is a file, a directory (searched recursively for .json, .json.gz,
               .jsonl, .jsonl.gz, .ndjson, .ndjson.gz) or - for stdin. Accepts CloudTrail
               log files ({"Records":[…]}), JSON Lines of records or EventBridge events,
               the AWS CLI's lookup-events answer ({"Events":[{"CloudTrailEvent":…}]}) and
               Amazon Security Lake's OCSF records of CloudTrail (read back as CloudTrail) and
               Firehose deliveries of EventBridge events (objects with no delimiter),
               CloudWatch Logs subscription payloads and exports (000000.gz), and
               documents keeping the event as text (event.original, _raw, message).
    --format table|jsonl|ocsf   output format (default: table)
    --fail-on SEVERITY          exit 1 if a finding at or above SEVERITY exists
                                (critical, high, medium, low, info)
    --config FILE               detection config (default: ./trailwarden.config.json if present)
    --batch N                   events handed to the detector at a time (default: 1000)
    --jobs N                    threads reading and parsing files: the scan's own and N-1
                                workers (default: the number of cores; 1 reads in one thread);
                                findings are exactly those of --jobs 1
    --summary                   also print alert volume per rule and per Annex A control
    --evidence DIR              also write each finding as the Lambda archives it
                                (findings/dt=…/SEVERITY/ID.json, a fold as a new ID.rN.json),
                                incidents (incidents/), a signed digest for every hour of the
                                scanned range (digests/) and the signing key's PUBLIC half
                                (keys/FINGERPRINT.pem)
    --signing-key FILE          EC P-256 private key (PEM) that signs the digests; kept outside
                                DIR (default: $XDG_CONFIG_HOME/trailwarden/signing-key.pem,
                                generated on first use)
    --anonymisers FILE          anonymiser list (Tor exit nodes, VPN ranges: one address or
                                CIDR a line, # comments) for signin.anonymiser; overrides the
                                config's anonymisers.source. Countries and networks of sign-ins
                                come from the ip-location-db packages in node_modules
`,
  rules: `  rules        List the rule catalogue.
    --format table|json         output format (default: table)
`,
  docs: `  docs         Generate the rule documentation (docs/RULES.md) from the catalogue.
    --out FILE                  where to write it (default: docs/RULES.md)
    --check                     write nothing; exit 1 if FILE is missing or out of date
`,
  policy: `  policy       Write the monitoring and logging policy from the deploy config and the rule
               catalogue: scope, log sources and retention, criticality and thresholds, SLAs,
               escalation, ownership and review, drills, suppressions, evidence integrity;
               each statement marked with its source ([config: KEY] or [rule: ID]) and each
               section with the Annex A controls it supports. docs/POLICY.md is the example's.
    --config FILE               deploy config (default: ./trailwarden.config.json if present,
                                else the defaults), validated as cdk synth validates it
    -c, --context KEY=VALUE     a deploy override, as \`cdk deploy -c KEY=VALUE\` (repeatable)
    --format md|html            output format (default: md); html is self-contained
    --out FILE                  write to FILE instead of stdout
`,
  coverage: `  coverage     ISO/IEC 27001:2022 Annex A controls × rules: severity spread, whether each
               rule's inline cases pass; controls with no rule are listed as gaps.
    --format table|json|md      output format (default: table)
`,
  verify: `  verify SOURCE
               Check evidence objects (findings/, incidents/, triage/, reviews/, drills/) against the
               digest chain. SOURCE is an --evidence directory, an unpacked export or
               s3://bucket/prefix. Recomputes every SHA-256, checks every digest's signature,
               walks the chain and names each missing, altered, unexpected, out-of-order,
               unsigned or badly signed object by key; on S3 also every delete marker and
               second version. Exit 0 verified (warnings allowed), 1 not.
    --public-key FILE           the public key (PEM or DER) you keep: only it is trusted
                                (repeatable); without it the copy under keys/ is used, and
                                the output says so
    --kms-key-id ID             trust the public key of this KMS key (GetPublicKey)
    --until ISO-TIME            fail when the chain ends before this time (default for
                                s3://: now minus 1 h 30 min; none for a directory)
`,
  export: `  export --from DATE --to DATE SOURCE
               Write an auditor's evidence package (a directory; no zip: Node has none built
               in) for findings active between two inclusive UTC days (YYYY-MM-DD). SOURCE as
               for verify. Holds findings/, incidents/, triage/, reviews/ and digests/ byte
               for byte, metrics.json, report.md, a self-contained report.html, findings.csv
               and manifest.json (SHA-256 of every file). \`verify OUT\` passes when the
               package holds the whole chain; when a narrower range or --control cuts it,
               manifest.json says to verify SOURCE.
    --control ID                only findings mapped to this Annex A control (e.g. A.8.15)
    --out DIR                   new or empty directory (default: trailwarden-export-FROM_TO)
    --config FILE               response SLAs (top-level "sla"; default: ./trailwarden.config.json)
`,
  drill: `  drill --local | --invoke FUNCTION_NAME --key-secret SECRET [--elevated-function NAME] | --run DRILL_FUNCTION
               Send each critical and high rule's drill events (built from its inline cases,
               signed with the drill key) through the evaluate handler and check it fires.
               --local runs the real handler on DynamoDB Local (needs java) and s3rver with SNS
               recorded in process, with a key made for the run: checks each rule's finding was
               paged (drill attribute) and archived. --invoke sends each batch to the deployed
               function and reports batchItemFailures; it signs with the drill key read from the
               Secrets Manager secret SECRET (the stack's DrillKeySecretArn output), which only
               the operators named in config can read. Unsigned drill markers are real events.
               Behaviour rules that learn over days (signin.new-country) are drilled with their
               case's backdated preparation (e.g. 14 days of sign-ins), remembered as drill memory
               only. Observation rules (iam.temporary-access-not-revoked) are drilled with signed
               drill observations through the check itself: it must page, archive and then resolve
               a drill finding (--local; with --invoke, the deployed check named by
               --elevated-function, the stack's ElevatedAccessFunctionName output).
               Prints PASS/FAIL/SKIP per rule with its time; exit 1 on any failure.
    --key-secret SECRET         (--invoke) ARN or name of the drill key secret
    --elevated-function NAME    (--invoke) the deployed elevated-access check to drill
    --rule ID                   only these rules (repeatable, or comma-separated)
    --severity LIST             severities to drill (default: critical,high)
               Scheduled drills run in the stack (the drill function, config "drills"): each
               run is archived under drills/ and listed with \`trailwarden drills\`. --run invokes
               that drill function on demand (the stack's DrillFunctionName output), the same path
               as the schedule: it signs, sends through the real queue, reads the page back from
               the drill-only subscription, archives the run record and prints it (trigger cli);
               exit 1 when the run failed. Takes --rule only.
`,
  drills: `  drills --source DIR|s3://BUCKET/PREFIX
               The drill runs on record (drills/ in the evidence bucket, an --evidence
               directory or an unpacked export), oldest first: started, status, rules passed,
               failed and skipped, trigger, run id. Exit 0 when the newest run passed, 1 when
               it failed or no run is on record.
    --format table|json         output format (default: table)
    --rules                     (table) one line per rule: latency to the archived finding
                                and to the page, the SLA and its verdict, why it failed
    --endpoint-url URL          S3 endpoint (an S3-compatible store or emulator)
`,
  triage: `  triage ID --ack | --resolve --verdict VERDICT --source DIR|s3://BUCKET/PREFIX
  triage --missed TEXT --rule RULE_ID --at ISO-TIME --source DIR|s3://BUCKET/PREFIX
               Record a triage decision on an incident or finding (ID) as an immutable
               evidence object under triage/: acknowledged, or resolved with a verdict
               (true-positive, false-positive, benign-expected, duplicate). Status moves
               new → acknowledged → resolved; resolved is final; the same decision twice is a
               no-op. --missed records an incident found by other means that RULE_ID should
               have caught. A directory gets the object and a new chained digest; s3:// writes
               with your AWS credentials (the hourly digest function chains it).
    --note TEXT                 what was found or done
    --by NAME                   who decided (default: $USER)
    --at ISO-TIME               when (default: now); never in the future
    --endpoint-url URL          S3-compatible endpoint (e.g. a local emulator)
`,
  metrics: `  metrics --source DIR|s3://BUCKET/PREFIX
               Tuning metrics from evidence, per rule and per Annex A control: findings,
               incidents, pages, suppressed, false-positive rate (flagged above 20 %), mean
               and p90 time to acknowledge and resolve, SLA results, open past SLA, missed.
    --from DATE --to DATE       inclusive UTC days (YYYY-MM-DD; default: all evidence)
    --format table|json|md      output format (default: table)
    --config FILE               response SLAs (top-level "sla"; default: ./trailwarden.config.json)
    --endpoint-url URL          S3-compatible endpoint
`,
  review: `  review --quarter YYYY-QN --source DIR|s3://BUCKET/PREFIX
               The quarterly threshold review: per rule volume, false-positive rate, SLA
               results, rules above the 20 % line with the threshold or suppression change
               the data suggests, rules silent for 90 days (candidates to retire), owners
               and the next review date. Archived as evidence under reviews/ (JSON and
               Markdown); the Markdown is also printed (or written to --out).
    --out FILE                  also write the Markdown here
    --config FILE               response SLAs (top-level "sla"; default: ./trailwarden.config.json)
    --endpoint-url URL          S3-compatible endpoint
`,
  replay: `  replay --from YYYY-MM-DD --to YYYY-MM-DD s3://TRAIL-BUCKET[/PREFIX]
               Replay a trail's log files of that range (account or organisation layout)
               through the deployed replay state machine (Step Functions Distributed Map,
               same engine, DynamoDB state in the replay's own namespace). Findings are
               archived as evidence marked replay (findings/dt=DAY/replay=ID/…), paged only
               with --page. Prints progress (files done / total) until the execution ends;
               exit 1 when it failed, naming the failed batches' files.
    --rules ID,…                only these rules (default: the whole catalogue)
    --page                      also publish the findings to the findings topic
    --no-wait                   print the execution ARN and return at once
    --name ID                   the replay id (default: replay-FROM-TO-RANDOM)
    --state-machine-arn ARN     default: $TRAILWARDEN_REPLAY_STATE_MACHINE (stack output
                                ReplayStateMachineArn)
    --work-bucket NAME          where failed batches are listed; default:
                                $TRAILWARDEN_REPLAY_WORK_BUCKET (output ReplayWorkBucketName)
    --endpoint-url URL          Step Functions (and S3) endpoint
`,
  'validate-trail': `  validate-trail s3://BUCKET[/PREFIX] | DIR --bucket NAME [--prefix PREFIX]
               Validate CloudTrail's own log-file integrity as \`aws cloudtrail validate-logs\`
               does: every hourly digest (RSA signature, location, chain to the previous one)
               and every log file it lists (SHA-256 of the uncompressed file), in parallel,
               streamed. Prints one line per problem naming its S3 key (deleted, altered,
               moved, forged, missing digest, unknown key, digest delivery stopped) and the
               AWS CLI's summary. DIR is a copy of the bucket (aws s3 sync) with each digest's
               metadata beside it in KEY.metadata.json. Exit 0 all valid, 1 not (or no digest
               found), 2 bad usage.
    --from ISO-TIME             digests ending from here (default: --to minus 24 h)
    --to ISO-TIME               ... to here plus one hour (default: now)
    --account ID                only this account (organisation trails: any member)
    --region REGION             only digests of this region
    --public-keys FILE          the JSON \`aws cloudtrail list-public-keys\` prints; without it
                                the keys come from cloudtrail:ListPublicKeys in the SDK's
                                region (the trail's home region)
    --endpoint-url URL          S3-compatible endpoint (path-style)
    --format table|jsonl        jsonl: each problem as a finding (default: table)
    --lag-minutes N             newest digest older than 1 h + N min: delivery stopped (default 30)
    --concurrency N             files validated at once (default 16 from S3, 2 per core
                                from a directory)
    --bucket NAME               (DIR) the bucket the digests were signed for
    --prefix PREFIX             (DIR) the trail's key prefix inside DIR (before AWSLogs/)
`,
} as const;

export type CommandName = keyof typeof COMMAND_USAGE;

export const commandUsage = (name: CommandName): string => `Usage: trailwarden ${COMMAND_USAGE[name].trimStart()}`;

export const USAGE = `Usage: trailwarden <command> [options]

Commands:
${Object.values(COMMAND_USAGE).join('\n')}
  help         Show this help (also --help); --version prints the version.
               trailwarden COMMAND --help shows one command's usage.

Exit codes: 0 ok, 1 findings at or above --fail-on (or docs --check stale, or verify
failed), 2 usage or configuration error.
`;
