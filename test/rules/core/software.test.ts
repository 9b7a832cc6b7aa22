import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import { DEFAULT_DETECTION_CONFIG, parseDetectionConfig } from '../../../rules/core/config.ts';
import { isServiceUserName, networkOf } from '../../../rules/core/signin.ts';
import {
  classifyCommand,
  DEPRECATED_RUNTIMES,
  deprecatedSince,
  installCommands,
  launchedImages,
  outsideLayers,
  templateImage,
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
