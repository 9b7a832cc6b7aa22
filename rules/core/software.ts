import type { CloudTrailRecord, JsonValue } from './cloudtrail.ts';
import { accountOf, isJsonObject, param, stringParam } from './cloudtrail.ts';
import type { DetectionConfig } from './config.ts';
import { accountInArn } from './policy-call.ts';

/**
 * Unapproved software (A.8.19): which images, runtimes, layers and Run Command documents a call brings in, and
 * whether configuration approves them. Pure: no SDK, no clock (a runtime is deprecated at the event's own time).
 */

const items = (v: JsonValue | undefined): JsonValue[] =>
  // Stryker disable next-line ArrayDeclaration: the one caller keeps only object entries, so a non-object filler is dropped
  Array.isArray(v) ? v : isJsonObject(v) && Array.isArray(v.items) ? v.items : [];

const imageIdsIn = (set: JsonValue | undefined): string[] =>
  items(set).flatMap((i) => (isJsonObject(i) && typeof i.imageId === 'string' ? [i.imageId] : []));

/**
 * The images a RunInstances call launched: those it asked for, and those the response says it launched (a
 * launch from a launch template names no image in the request; the response still carries each instance's image).
 */
export const launchedImages = (e: CloudTrailRecord): string[] => [
  ...new Set([
    ...imageIdsIn(param(e.requestParameters, 'instancesSet')),
    ...imageIdsIn(param(e.responseElements, 'instancesSet')),
  ]),
];

/** The launch template a RunInstances call used, `lt-…` or its name, with the version asked for. */
export const launchTemplateOf = (e: CloudTrailRecord): string | undefined => {
  const lt = param(e.requestParameters, 'launchTemplate');
  if (!isJsonObject(lt)) return undefined;
  const id = typeof lt.launchTemplateId === 'string' ? lt.launchTemplateId : lt.launchTemplateName;
  if (typeof id !== 'string') return undefined;
  return typeof lt.version === 'string' ? `${id} version ${lt.version}` : id;
};

/**
 * The image a CreateLaunchTemplate / CreateLaunchTemplateVersion request names. CloudTrail wraps the EC2 query
 * request: `requestParameters.CreateLaunchTemplateRequest.LaunchTemplateData.ImageId`. The value may be an AMI id
 * or an SSM parameter reference (`resolve:ssm:/aws/service/…`), which is only approved when listed as such.
 */
export const templateImage = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'CreateLaunchTemplateRequest', 'LaunchTemplateData', 'ImageId') ??
  stringParam(e.requestParameters, 'CreateLaunchTemplateVersionRequest', 'LaunchTemplateData', 'ImageId');

/** The template a launch template call created or versioned, by id or name. */
export const templateName = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'CreateLaunchTemplateRequest', 'LaunchTemplateName') ??
  stringParam(e.requestParameters, 'CreateLaunchTemplateVersionRequest', 'LaunchTemplateId') ??
  stringParam(e.requestParameters, 'CreateLaunchTemplateVersionRequest', 'LaunchTemplateName') ??
  stringParam(e.responseElements, 'CreateLaunchTemplateResponse', 'launchTemplate', 'launchTemplateId') ??
  stringParam(e.responseElements, 'CreateLaunchTemplateVersionResponse', 'launchTemplateVersion', 'launchTemplateId') ??
  'unknown-launch-template';

export const isApprovedImage = (image: string, config: DetectionConfig): boolean =>
  (config.software?.approvedImages ?? []).includes(image);

/** Why an image list is not approved, one line per image; empty when every image is approved. */
export const unapprovedImages = (images: readonly string[], config: DetectionConfig): string[] => {
  const listed = config.software?.approvedImages ?? [];
  return images
    .filter((i) => !listed.includes(i))
    .map((i) =>
      listed.length === 0
        ? `${i}: no approved images are configured (software.approvedImages), so none is approved`
        : `${i} is not in software.approvedImages`,
    );
};

/**
 * Lambda runtimes and the date Lambda deprecated each (no more security patches), from the deprecated-runtimes
 * table of the Lambda developer guide (docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html, read 2026-12).
 * A date is data: a runtime counts as deprecated for events at or after it, so a replay of old logs judges each
 * call by what was true then. Add rows when AWS announces them; a runtime missing here is treated as supported.
 */
export const DEPRECATED_RUNTIMES: Readonly<Record<string, string>> = {
  nodejs: '2016-10-31',
  'nodejs4.3': '2020-03-05',
  'nodejs4.3-edge': '2020-04-30',
  'nodejs6.10': '2019-08-12',
  'nodejs8.10': '2020-03-06',
  'nodejs10.x': '2021-07-30',
  'nodejs12.x': '2023-03-31',
  'nodejs14.x': '2023-12-04',
  'nodejs16.x': '2024-06-12',
  'nodejs18.x': '2025-09-01',
  'nodejs20.x': '2026-04-30',
  'python2.7': '2021-07-15',
  'python3.6': '2022-07-18',
  'python3.7': '2023-12-04',
  'python3.8': '2024-10-14',
  'python3.9': '2025-12-15',
  'ruby2.5': '2021-07-30',
  'ruby2.7': '2023-12-07',
  'ruby3.2': '2026-03-31',
  java8: '2024-01-08',
  'go1.x': '2024-01-08',
  provided: '2024-01-08',
  'dotnetcore1.0': '2019-07-30',
  'dotnetcore2.0': '2019-05-30',
  'dotnetcore2.1': '2022-01-05',
  'dotnetcore3.1': '2023-04-03',
  'dotnet5.0': '2022-05-10',
  dotnet6: '2024-12-20',
  dotnet7: '2024-05-14',
};

/** The deprecation date of `runtime` when it was deprecated at `atMs`, else undefined. */
export const deprecatedSince = (runtime: string, atMs: number): string | undefined => {
  const date = DEPRECATED_RUNTIMES[runtime];
  // Stryker disable next-line ConditionalExpression: without the guard, Date.parse('undefinedT00:00:00Z') is NaN and the comparison is false anyway
  return date !== undefined && atMs >= Date.parse(`${date}T00:00:00Z`) ? date : undefined;
};

/** The runtime a CreateFunction / UpdateFunctionConfiguration call set, or undefined when it set none. */
export const requestedRuntime = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'runtime');

/** `functionName` may be a name, a partial or a full ARN. */
export const functionNameOf = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'functionName') ??
  stringParam(e.responseElements, 'functionName') ??
  'unknown-function';

/** Layer version ARNs a CreateFunction / UpdateFunctionConfiguration call set (`layers: ["arn:…:layer:x:3"]`). */
export const requestedLayers = (e: CloudTrailRecord): string[] => {
  const layers = param(e.requestParameters, 'layers');
  return Array.isArray(layers) ? layers.flatMap((l) => (typeof l === 'string' ? [l] : [])) : [];
};

/**
 * Layers published by an account outside the organisation: not the function's own account, not a member of
 * `organization.accounts`, not in `software.approvedLayerAccounts`. A layer ARN whose account cannot be read is
 * outside too (fail closed).
 */
export const outsideLayers = (e: CloudTrailRecord, config: DetectionConfig): string[] => {
  const inside = new Set([
    accountOf(e),
    ...config.organization.accounts,
    // Stryker disable next-line ArrayDeclaration: accountInArn yields only 12-digit ids, so a non-id filler can never match
    ...(config.software?.approvedLayerAccounts ?? []),
  ]);
  return requestedLayers(e).filter((arn) => {
    const account = accountInArn(arn);
    // Stryker disable next-line ConditionalExpression: `inside` holds only strings, so !inside.has(undefined) is true as well
    return account === undefined || !inside.has(account);
  });
};

/** AWS-owned Run Command documents whose only purpose is to install or configure software packages. */
export const INSTALL_DOCUMENTS: readonly string[] = [
  'AWS-ConfigureAWSPackage',
  'AWS-InstallApplication',
  'AWS-InstallPowerShellModule',
  'AWS-InstallMissingWindowsUpdates',
  'AWS-InstallWindowsUpdates',
  'AWS-ApplyAnsiblePlaybooks',
  'AWS-RunAnsiblePlaybook',
  'AWS-ApplyChefRecipes',
  'AWS-ApplyDSCMofs',
];

/** Documents that run whatever commands they are given: an install is one command away. */
export const SHELL_DOCUMENTS: readonly string[] = [
  'AWS-RunShellScript',
  'AWS-RunPowerShellScript',
  'AWS-RunRemoteScript',
];

/**
 * Commands that install software: package managers, Windows installers, and piping a download into a shell.
 * CloudTrail records SendCommand's `parameters` as HIDDEN_DUE_TO_SECURITY_REASONS, so these only see commands in
 * records that carry them (the CLI over exported logs of another source); in a CloudTrail record the commands are
 * unknown and a shell document is judged by who ran it.
 */
export const INSTALL_PATTERNS: readonly RegExp[] = [
  /\b(apt|apt-get|yum|dnf|zypper|apk|pip3?|npm|gem|snap|brew)\s+(-\S+\s+)*(install|add)\b/i,
  /\brpm\s+-[a-z]*i/i,
  /\bdpkg\s+-i\b/i,
  /\bmsiexec(\.exe)?\b/i,
  /\b(choco|winget|scoop)\s+install\b/i,
  /\bInstall-(Package|Module)\b/i,
  /\b(curl|wget)\b[^|;&]*\|\s*(sudo\s+)?(ba|z|da)?sh\b/i,
  /\b(iwr|Invoke-WebRequest|Invoke-Expression|iex)\b.*\b(iex|Invoke-Expression|\.msi|\.exe)\b/i,
];

export const documentNameOf = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'documentName');

/** The commands a SendCommand record shows, or undefined when CloudTrail hid them (or the call passed none). */
export const visibleCommands = (e: CloudTrailRecord): string[] | undefined => {
  const parameters = param(e.requestParameters, 'parameters');
  if (!isJsonObject(parameters)) return undefined;
  const commands = parameters.commands;
  // Stryker disable next-line ConditionalExpression: a non-string wrapped in a list is dropped by the string filter below
  const list = Array.isArray(commands) ? commands : typeof commands === 'string' ? [commands] : [];
  return list.flatMap((c) => (typeof c === 'string' ? [c] : []));
};

/** The commands that install software, of those the record shows. */
export const installCommands = (commands: readonly string[]): string[] =>
  commands.filter((c) => INSTALL_PATTERNS.some((p) => p.test(c)));

export type SoftwareCommand =
  | { readonly kind: 'install-document'; readonly document: string }
  | { readonly kind: 'install-command'; readonly document: string; readonly commands: readonly string[] }
  | { readonly kind: 'hidden-commands'; readonly document: string }
  | { readonly kind: 'other'; readonly document: string };

/**
 * What a SendCommand call does about software. The document name is matched without its owner prefix (`AWS-…`
 * documents are AWS-owned; a shared document is named by ARN). A shell document whose commands are visible and
 * install nothing is `other`; one whose commands are hidden is `hidden-commands` (fail closed: may install).
 */
export const classifyCommand = (e: CloudTrailRecord): SoftwareCommand => {
  const raw = documentNameOf(e) ?? 'unknown-document';
  // Stryker disable next-line StringLiteral: a name without ':document/' splits into one part, so [1] ?? raw is raw anyway
  const document = raw.includes(':document/') ? (raw.split(':document/')[1] ?? raw) : raw;
  if (INSTALL_DOCUMENTS.includes(document)) return { kind: 'install-document', document };
  if (!SHELL_DOCUMENTS.includes(document)) return { kind: 'other', document };
  const commands = visibleCommands(e);
  if (commands === undefined) return { kind: 'hidden-commands', document };
  const installs = installCommands(commands);
  return installs.length > 0 ? { kind: 'install-command', document, commands: installs } : { kind: 'other', document };
};
