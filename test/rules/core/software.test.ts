import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import { DEFAULT_DETECTION_CONFIG, parseDetectionConfig } from '../../../rules/core/config.ts';
import { isServiceUserName, networkOf } from '../../../rules/core/signin.ts';
import {
  classifyCommand,
  DEPRECATED_RUNTIMES,
  deprecatedSince,
  documentNameOf,
  functionNameOf,
  installCommands,
  isApprovedImage,
  launchedImages,
  launchTemplateOf,
  outsideLayers,
  requestedLayers,
  requestedRuntime,
  templateImage,
  templateName,
  unapprovedImages,
  visibleCommands,
} from '../../../rules/core/software.ts';
import { fixture } from '../../../rules/fixtures/index.ts';

const record = (name: string, overrides: Record<string, unknown> = {}) =>
  fixture(name, overrides) as unknown as CloudTrailRecord;

describe('launchedImages', () => {
  it('reads the request and, for a launch template, the response', () => {
    expect(launchedImages(record('ec2/RunInstances'))).toEqual(['ami-0123456789abcdef0']);
    expect(launchedImages(record('ec2/RunInstances-launch-template'))).toEqual(['ami-0fedcba9876543210']);
  });
  it('finds nothing in a denied launch from a template (fail closed is the rule’s job)', () => {
    expect(launchedImages(record('ec2/RunInstances-launch-template', { responseElements: null }))).toEqual([]);
  });
  it('reads the image of both template calls', () => {
    expect(templateImage(record('ec2/CreateLaunchTemplate'))).toBe('ami-0fedcba9876543210');
    expect(templateImage(record('ec2/CreateLaunchTemplateVersion'))).toBe('ami-0fedcba9876543210');
  });
});

describe('deprecatedSince', () => {
  it.each([
    ['python3.8', '2024-10-13T23:59:59Z', undefined],
    ['python3.8', '2024-10-14T00:00:00Z', '2024-10-14'],
    ['nodejs20.x', '2026-04-29T12:00:00Z', undefined],
    ['nodejs20.x', '2026-05-01T00:00:00Z', '2026-04-30'],
    ['python3.13', '2030-01-01T00:00:00Z', undefined],
  ])('%s at %s → %s', (runtime, at, expected) => {
    expect(deprecatedSince(runtime, Date.parse(at))).toBe(expected);
  });
  it('every date in the table is a real date', () => {
    for (const date of Object.values(DEPRECATED_RUNTIMES))
      expect(Number.isNaN(Date.parse(`${date}T00:00:00Z`))).toBe(false);
  });
});

describe('outsideLayers', () => {
  const e = record('lambda/UpdateFunctionConfiguration20150331v2', {
    requestParameters: {
      layers: [
        'arn:aws:lambda:eu-west-1:111122223333:layer:own:1',
        'arn:aws:lambda:eu-west-1:444455556666:layer:member:2',
        'arn:aws:lambda:eu-west-1:999988887777:layer:vendor:3',
        'not-an-arn',
      ],
    },
  });
  it('keeps the own account and organisation members inside; an unreadable ARN is outside', () => {
    const config = { ...DEFAULT_DETECTION_CONFIG, organization: { accounts: ['444455556666'] } };
    expect(outsideLayers(e, config)).toEqual(['arn:aws:lambda:eu-west-1:999988887777:layer:vendor:3', 'not-an-arn']);
  });
  it('approved layer accounts are inside too', () => {
    const config = {
      ...DEFAULT_DETECTION_CONFIG,
      software: { approvedImages: [], approvedLayerAccounts: ['999988887777', '444455556666'] },
    };
    expect(outsideLayers(e, config)).toEqual(['not-an-arn']);
  });
});

describe('Run Command classification', () => {
  it.each([
    'sudo apt-get install -y nmap',
    'yum install -y xmrig',
    'dnf -y install socat',
    'pip3 install impacket',
    'npm install -g some-tool',
    'msiexec /i C:\\temp\\agent.msi /qn',
    'choco install 7zip -y',
    'curl -fsSL https://example.com/x.sh | sh',
    'wget -qO- https://example.com/x.sh | sudo bash',
    'rpm -ivh tool.rpm',
  ])('%s installs', (command) => {
    expect(installCommands([command])).toEqual([command]);
  });
  it.each(['df -h', 'systemctl status sshd', 'curl -f http://localhost/health', 'cat /etc/os-release'])(
    '%s installs nothing',
    (command) => {
      expect(installCommands([command])).toEqual([]);
    },
  );
  it('hidden parameters on a shell document are hidden-commands, on an install document install-document', () => {
    expect(classifyCommand(record('ssm/SendCommand')).kind).toBe('hidden-commands');
    expect(classifyCommand(record('ssm/SendCommand-configure-package'))).toEqual({
      kind: 'install-document',
      document: 'AWS-ConfigureAWSPackage',
    });
  });
  it('a shared document named by ARN is matched on its name', () => {
    const e = record('ssm/SendCommand', {
      requestParameters: { documentName: 'arn:aws:ssm:eu-west-1:444455556666:document/AWS-InstallApplication' },
    });
    expect(classifyCommand(e).kind).toBe('install-document');
  });
});

describe('networkOf', () => {
  it.each([
    ['198.51.100.23', '198.51.100.0/24'],
    ['2001:db8:85a3::8a2e:370:7334', '2001:db8:85a3::/48'],
    ['2001:db8::1', '2001:db8:0::/48'],
    ['2001:0db8:0001:0000:0000:0000:0000:0001', '2001:db8:1::/48'],
    ['AWS Internal', undefined],
    ['300.1.2.3', undefined],
  ])('%s → %s', (ip, expected) => {
    expect(networkOf(ip)).toBe(expected);
  });
});

describe('service users', () => {
  it('match globs case-insensitively', () => {
    expect(isServiceUserName('SVC-Deploy', ['svc-*'])).toBe(true);
    expect(isServiceUserName('alice', ['svc-*'])).toBe(false);
    expect(isServiceUserName('svc-deploy', undefined)).toBe(false);
  });
  it('config refuses a lone * and non-AMI image ids, by path', () => {
    expect(
      parseDetectionConfig({
        serviceUsers: ['*'],
        software: { approvedImages: ['ubuntu-22.04'], approvedLayerAccounts: ['12345'], approvedOwners: [] },
      }),
    ).toEqual({
      ok: false,
      errors: [
        'detection.software.approvedOwners: unknown key',
        'detection.software.approvedImages: "ubuntu-22.04" is not an AMI id (ami-0123456789abcdef0)',
        'detection.software.approvedLayerAccounts: "12345" is not a 12-digit account id',
        'detection.serviceUsers: "*" matches every user; name the service users (e.g. svc-*)',
      ],
    });
  });
  it('config accepts both', () => {
    const parsed = parseDetectionConfig({
      serviceUsers: ['svc-*'],
      software: { approvedImages: ['ami-0123456789abcdef0'] },
    });
    expect(parsed).toMatchObject({
      ok: true,
      config: {
        serviceUsers: ['svc-*'],
        software: { approvedImages: ['ami-0123456789abcdef0'], approvedLayerAccounts: [] },
      },
    });
  });
});

describe('software helpers at their edges', () => {
  const call = (requestParameters: unknown, responseElements: unknown = null): CloudTrailRecord =>
    ({
      eventTime: '2026-11-02T10:00:00Z',
      eventSource: 'ec2.amazonaws.com',
      eventName: 'RunInstances',
      eventID: 'e1',
      awsRegion: 'eu-west-1',
      recipientAccountId: '111122223333',
      userIdentity: { type: 'IAMUser', accountId: '111122223333' },
      requestParameters,
      responseElements,
    }) as CloudTrailRecord;
  const withImages = (approvedImages: string[]) => ({
    ...DEFAULT_DETECTION_CONFIG,
    software: { approvedImages, approvedLayerAccounts: [] },
  });

  it('reads images from a bare list too, once each, and skips entries without one', () => {
    expect(
      launchedImages(
        call(
          { instancesSet: [{ imageId: 'ami-1' }, { imageId: 7 }, 'ami-x', { imageId: 'ami-2' }] },
          {
            instancesSet: { items: [{ imageId: 'ami-1' }, { imageId: 'ami-3' }] },
          },
        ),
      ),
    ).toEqual(['ami-1', 'ami-2', 'ami-3']);
    expect(launchedImages(call({ instancesSet: { items: 'ami-1' } }))).toEqual([]);
  });

  it.each<[string, unknown, string | undefined]>([
    ['id with version', { launchTemplate: { launchTemplateId: 'lt-1', version: '$Latest' } }, 'lt-1 version $Latest'],
    ['id without version', { launchTemplate: { launchTemplateId: 'lt-1' } }, 'lt-1'],
    ['name when there is no id', { launchTemplate: { launchTemplateName: 'web', version: '3' } }, 'web version 3'],
    ['a numeric version is not read', { launchTemplate: { launchTemplateId: 'lt-1', version: 3 } }, 'lt-1'],
    ['neither id nor name', { launchTemplate: { version: '3' } }, undefined],
    ['no template', { instancesSet: {} }, undefined],
    ['a template that is a string', { launchTemplate: 'lt-1' }, undefined],
  ])('launchTemplateOf: %s', (_name, params, expected) => {
    expect(launchTemplateOf(call(params))).toBe(expected);
  });

  it.each<[string, unknown, unknown, string]>([
    ['CreateLaunchTemplate name', { CreateLaunchTemplateRequest: { LaunchTemplateName: 'web' } }, null, 'web'],
    ['version by id', { CreateLaunchTemplateVersionRequest: { LaunchTemplateId: 'lt-1' } }, null, 'lt-1'],
    ['version by name', { CreateLaunchTemplateVersionRequest: { LaunchTemplateName: 'web' } }, null, 'web'],
    [
      'created id from the response',
      {},
      { CreateLaunchTemplateResponse: { launchTemplate: { launchTemplateId: 'lt-2' } } },
      'lt-2',
    ],
    [
      'versioned id from the response',
      {},
      { CreateLaunchTemplateVersionResponse: { launchTemplateVersion: { launchTemplateId: 'lt-3' } } },
      'lt-3',
    ],
    ['nothing to go on', {}, null, 'unknown-launch-template'],
  ])('templateName: %s', (_name, req, res, expected) => {
    expect(templateName(call(req, res))).toBe(expected);
  });

  it('approves only listed images, and says why each other one is not', () => {
    expect(isApprovedImage('ami-1', withImages(['ami-1']))).toBe(true);
    expect(isApprovedImage('ami-2', withImages(['ami-1']))).toBe(false);
    expect(isApprovedImage('ami-1', DEFAULT_DETECTION_CONFIG)).toBe(false);
    expect(unapprovedImages(['ami-1', 'ami-2'], withImages(['ami-1']))).toEqual([
      'ami-2 is not in software.approvedImages',
    ]);
    expect(unapprovedImages(['ami-1'], DEFAULT_DETECTION_CONFIG)).toEqual([
      'ami-1: no approved images are configured (software.approvedImages), so none is approved',
    ]);
  });

  it('reads the runtime, the function name and the layers a call set', () => {
    expect(requestedRuntime(call({ runtime: 'python3.8' }))).toBe('python3.8');
    expect(requestedRuntime(call({ runtime: 3 }))).toBeUndefined();
    expect(functionNameOf(call({ functionName: 'f' }, { functionName: 'g' }))).toBe('f');
    expect(functionNameOf(call({}, { functionName: 'g' }))).toBe('g');
    expect(functionNameOf(call({}))).toBe('unknown-function');
    expect(requestedLayers(call({ layers: ['arn:a', 5, 'arn:b'] }))).toEqual(['arn:a', 'arn:b']);
    expect(requestedLayers(call({ layers: 'arn:a' }))).toEqual([]);
  });

  it.each<[string, unknown, string[] | undefined]>([
    ['a list of commands', { parameters: { commands: ['yum install x', 9, 'ls'] } }, ['yum install x', 'ls']],
    ['one command as a string', { parameters: { commands: 'apt-get install x' } }, ['apt-get install x']],
    ['parameters without commands', { parameters: { workingDirectory: ['/'] } }, []],
    ['parameters hidden', { parameters: 'HIDDEN_DUE_TO_SECURITY_REASONS' }, undefined],
    ['no parameters', {}, undefined],
  ])('visibleCommands: %s', (_name, params, expected) => {
    expect(visibleCommands(call(params))).toEqual(expected);
  });

  it('names a document not given as unknown, and reads a shared document by its name', () => {
    expect(documentNameOf(call({ documentName: 'AWS-RunShellScript' }))).toBe('AWS-RunShellScript');
    expect(classifyCommand(call({}))).toEqual({ kind: 'other', document: 'unknown-document' });
    expect(
      classifyCommand(call({ documentName: 'arn:aws:ssm:eu-west-1:444455556666:document/AWS-InstallApplication' })),
    ).toEqual({ kind: 'install-document', document: 'AWS-InstallApplication' });
    expect(classifyCommand(call({ documentName: 'Custom-Doc', parameters: { commands: ['yum install x'] } }))).toEqual({
      kind: 'other',
      document: 'Custom-Doc',
    });
  });
});

describe('classifyCommand: a shell document with its commands in view', () => {
  const send = (documentName: string, commands: unknown): CloudTrailRecord =>
    record('ssm/SendCommand', { requestParameters: { documentName, parameters: { commands } } });

  it('is install-command, naming only the commands that install', () => {
    expect(classifyCommand(send('AWS-RunShellScript', ['df -h', 'yum install -y xmrig', 'ls']))).toEqual({
      kind: 'install-command',
      document: 'AWS-RunShellScript',
      commands: ['yum install -y xmrig'],
    });
  });

  it('is other when none of them installs', () => {
    expect(classifyCommand(send('AWS-RunPowerShellScript', ['Get-Service']))).toEqual({
      kind: 'other',
      document: 'AWS-RunPowerShellScript',
    });
  });

  it('is other when the call passed an empty command list', () => {
    expect(classifyCommand(send('AWS-RunShellScript', []))).toEqual({ kind: 'other', document: 'AWS-RunShellScript' });
  });
});
