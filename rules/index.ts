import { rule as accessAnalyzerAnalyzerDeleted } from './access-analyzer/analyzer-deleted.rule.ts';
import { rule as accountContactChanged } from './account/contact-changed.rule.ts';
import { rule as accountDangerousActionDenied } from './account/dangerous-action-denied.rule.ts';
import { rule as accountDiscoveryBurst } from './account/discovery-burst.rule.ts';
import { rule as accountOffensiveToolUsed } from './account/offensive-tool-used.rule.ts';
import { rule as accountRegionEnabled } from './account/region-enabled.rule.ts';
import { rule as accountRootActivity } from './account/root-activity.rule.ts';
import { rule as apigatewayRestApiPolicyOpened } from './apigateway/rest-api-policy-opened.rule.ts';
import { rule as backupMonitoringRemoved } from './backup/monitoring-removed.rule.ts';
import { rule as backupPlanChanged } from './backup/plan-changed.rule.ts';
import { rule as backupRecoveryPointDeleted } from './backup/recovery-point-deleted.rule.ts';
import { rule as backupVaultPolicyOpened } from './backup/vault-policy-opened.rule.ts';
import { rule as backupVaultProtectionRemoved } from './backup/vault-protection-removed.rule.ts';
import { rule as bedrockModelAccessChanged } from './bedrock/model-access-changed.rule.ts';
import { rule as bedrockMonitoringRemoved } from './bedrock/monitoring-removed.rule.ts';
import { rule as bedrockNewModelInvoker } from './bedrock/new-model-invoker.rule.ts';
import { rule as cloudformationTrailwardenStacksTampered } from './cloudformation/trailwarden-stacks-tampered.rule.ts';
import { rule as cloudfrontDistributionProtectionRemoved } from './cloudfront/distribution-protection-removed.rule.ts';
import { rule as cloudtrailLoggingStopped } from './cloudtrail/logging-stopped.rule.ts';
import { rule as cloudtrailTrailDegraded } from './cloudtrail/trail-degraded.rule.ts';
import { rule as cloudwatchAlarmsSilenced } from './cloudwatch/alarms-silenced.rule.ts';
import { rule as codebuildBuildDefinitionChanged } from './codebuild/build-definition-changed.rule.ts';
import { rule as codebuildProjectMadePublic } from './codebuild/project-made-public.rule.ts';
import { rule as configBucketPublicDrift } from './config/bucket-public-drift.rule.ts';
import { rule as configEncryptionRemovedDrift } from './config/encryption-removed-drift.rule.ts';
import { rule as configLoggingDrift } from './config/logging-drift.rule.ts';
import { rule as configRecorderStopped } from './config/recorder-stopped.rule.ts';
import { rule as configRuleNoncompliant } from './config/rule-noncompliant.rule.ts';
import { rule as configRulesDeleted } from './config/rules-deleted.rule.ts';
import { rule as configSecurityGroupDrift } from './config/security-group-drift.rule.ts';
import { buildCatalogue } from './core/engine.ts';
import type { Rule } from './core/types.ts';
import { rule as datasyncTransferCreated } from './datasync/transfer-created.rule.ts';
import { rule as detectiveDisabled } from './detective/disabled.rule.ts';
import { rule as directconnectConnectionChanged } from './directconnect/connection-changed.rule.ts';
import { rule as directconnectPrivatePathCreated } from './directconnect/private-path-created.rule.ts';
import { rule as dynamodbBackupProtectionRemoved } from './dynamodb/backup-protection-removed.rule.ts';
import { rule as dynamodbEncryptedWithOutsideKey } from './dynamodb/encrypted-with-outside-key.rule.ts';
import { rule as dynamodbResourcePolicyOpened } from './dynamodb/resource-policy-opened.rule.ts';
import { rule as dynamodbTableDeleted } from './dynamodb/table-deleted.rule.ts';
import { rule as dynamodbTableExportedOutsideOrganization } from './dynamodb/table-exported-outside-organization.rule.ts';
import { rule as dynamodbTableExportedOutsideProcess } from './dynamodb/table-exported-outside-process.rule.ts';
import { rule as dynamodbTrailwardenTableTampered } from './dynamodb/trailwarden-table-tampered.rule.ts';
import { rule as ec2BlockPublicAccessDisabled } from './ec2/block-public-access-disabled.rule.ts';
import { rule as ec2ComputeAbuseRefused } from './ec2/compute-abuse-refused.rule.ts';
import { rule as ec2EbsDefaultEncryptionDisabled } from './ec2/ebs-default-encryption-disabled.rule.ts';
import { rule as ec2EncryptedWithOutsideKey } from './ec2/encrypted-with-outside-key.rule.ts';
import { rule as ec2FlowLogsDeleted } from './ec2/flow-logs-deleted.rule.ts';
import { rule as ec2GatewayChanged } from './ec2/gateway-changed.rule.ts';
import { rule as ec2ImageShared } from './ec2/image-shared.rule.ts';
import { rule as ec2ImdsV1Enabled } from './ec2/imds-v1-enabled.rule.ts';
import { rule as ec2IngressOpenToInternet } from './ec2/ingress-open-to-internet.rule.ts';
import { rule as ec2InstanceExported } from './ec2/instance-exported.rule.ts';
import { rule as ec2InstanceRoleChanged } from './ec2/instance-role-changed.rule.ts';
import { rule as ec2KeyPairOutsideProcess } from './ec2/key-pair-outside-process.rule.ts';
import { rule as ec2LaunchTemplateUnapprovedImage } from './ec2/launch-template-unapproved-image.rule.ts';
import { rule as ec2NetworkAclChanged } from './ec2/network-acl-changed.rule.ts';
import { rule as ec2NetworkAclOpenToInternet } from './ec2/network-acl-open-to-internet.rule.ts';
import { rule as ec2NetworkTornDown } from './ec2/network-torn-down.rule.ts';
import { rule as ec2PasswordDataRetrieved } from './ec2/password-data-retrieved.rule.ts';
import { rule as ec2RouteTableChanged } from './ec2/route-table-changed.rule.ts';
import { rule as ec2SecurityGroupChanged } from './ec2/security-group-changed.rule.ts';
import { rule as ec2SerialConsoleEnabled } from './ec2/serial-console-enabled.rule.ts';
import { rule as ec2SnapshotShared } from './ec2/snapshot-shared.rule.ts';
import { rule as ec2SourceDestCheckDisabled } from './ec2/source-dest-check-disabled.rule.ts';
import { rule as ec2StorageDeletedBurst } from './ec2/storage-deleted-burst.rule.ts';
import { rule as ec2SuspiciousKeyPair } from './ec2/suspicious-key-pair.rule.ts';
import { rule as ec2TrafficMirrored } from './ec2/traffic-mirrored.rule.ts';
import { rule as ec2UnapprovedImageLaunched } from './ec2/unapproved-image-launched.rule.ts';
import { rule as ec2UnapprovedRegion } from './ec2/unapproved-region.rule.ts';
import { rule as ec2UnusualInstanceTypeLaunched } from './ec2/unusual-instance-type-launched.rule.ts';
import { rule as ec2UserDataModified } from './ec2/user-data-modified.rule.ts';
import { rule as ec2UserDataReadBurst } from './ec2/user-data-read-burst.rule.ts';
import { rule as ec2VpcChanged } from './ec2/vpc-changed.rule.ts';
import { rule as ec2InstanceConnectSshKeyPushed } from './ec2-instance-connect/ssh-key-pushed.rule.ts';
import { rule as ecrImagePushedOutsideProcess } from './ecr/image-pushed-outside-process.rule.ts';
import { rule as ecrImageScanningDisabled } from './ecr/image-scanning-disabled.rule.ts';
import { rule as ecrRepositoryDeleted } from './ecr/repository-deleted.rule.ts';
import { rule as ecrRepositoryPolicyOpened } from './ecr/repository-policy-opened.rule.ts';
import { rule as ecsTaskReadsCredentials } from './ecs/task-reads-credentials.rule.ts';
import { rule as efsFileSystemPolicyOpened } from './efs/file-system-policy-opened.rule.ts';
import { rule as eksClusterAdminGranted } from './eks/cluster-admin-granted.rule.ts';
import { rule as eksClusterDeleted } from './eks/cluster-deleted.rule.ts';
import { rule as eksControlPlaneLoggingDisabled } from './eks/control-plane-logging-disabled.rule.ts';
import { rule as eksEndpointMadePublic } from './eks/endpoint-made-public.rule.ts';
import { rule as elasticacheClusterDeleted } from './elasticache/cluster-deleted.rule.ts';
import { rule as elasticfilesystemBackupDisabled } from './elasticfilesystem/backup-disabled.rule.ts';
import { rule as elasticfilesystemFileSystemDeleted } from './elasticfilesystem/file-system-deleted.rule.ts';
import { rule as elasticfilesystemMountTargetChanged } from './elasticfilesystem/mount-target-changed.rule.ts';
import { rule as elasticloadbalancingLoadBalancerDeleted } from './elasticloadbalancing/load-balancer-deleted.rule.ts';
import { rule as elasticloadbalancingSecurityGroupsChanged } from './elasticloadbalancing/security-groups-changed.rule.ts';
import { rule as esDomainDeleted } from './es/domain-deleted.rule.ts';
import { rule as eventsRuleDisabled } from './events/rule-disabled.rule.ts';
import { rule as eventsTargetOutsideOrganization } from './events/target-outside-organization.rule.ts';
import { rule as eventsTrailwardenRulesTampered } from './events/trailwarden-rules-tampered.rule.ts';
import { rule as glacierVaultPolicyOpened } from './glacier/vault-policy-opened.rule.ts';
import { rule as glueDevEndpointRolePassed } from './glue/dev-endpoint-role-passed.rule.ts';
import { rule as guarddutyDetectorDisabled } from './guardduty/detector-disabled.rule.ts';
import { rule as guarddutyFindingsSuppressed } from './guardduty/findings-suppressed.rule.ts';
import { rule as guarddutyMonitoringReduced } from './guardduty/monitoring-reduced.rule.ts';
import { rule as iamAccessDeniedBurst } from './iam/access-denied-burst.rule.ts';
import { rule as iamAccessKeyForAnotherUser } from './iam/access-key-for-another-user.rule.ts';
import { rule as iamAdminGranted } from './iam/admin-granted.rule.ts';
import { rule as iamAuthorizationDetailsRead } from './iam/authorization-details-read.rule.ts';
import { rule as iamAutomationRoleUsedInteractively } from './iam/automation-role-used-interactively.rule.ts';
import { rule as iamCompromisedKeyQuarantine } from './iam/compromised-key-quarantine.rule.ts';
import { rule as iamExpiryTagTampered } from './iam/expiry-tag-tampered.rule.ts';
import { rule as iamIdentityProviderChanged } from './iam/identity-provider-changed.rule.ts';
import { rule as iamLoginProfileForAnotherUser } from './iam/login-profile-for-another-user.rule.ts';
import { rule as iamMfaDeviceDeactivated } from './iam/mfa-device-deactivated.rule.ts';
import { rule as iamMfaDeviceForAnotherUser } from './iam/mfa-device-for-another-user.rule.ts';
import { rule as iamMfaDeviceRegisteredWithTemporaryKeys } from './iam/mfa-device-registered-with-temporary-keys.rule.ts';
import { rule as iamPasswordPolicyWeakened } from './iam/password-policy-weakened.rule.ts';
import { rule as iamPolicyChanged } from './iam/policy-changed.rule.ts';
import { rule as iamRootAccessKeyCreated } from './iam/root-access-key-created.rule.ts';
import { rule as iamSelfPrivilegeGrant } from './iam/self-privilege-grant.rule.ts';
import { rule as iamServiceKeyNewNetwork } from './iam/service-key-new-network.rule.ts';
import { rule as iamTrustPolicyGuessing } from './iam/trust-policy-guessing.rule.ts';
import { rule as iamTrustPolicyOpened } from './iam/trust-policy-opened.rule.ts';
import { rule as iamUserAddedToAdminGroup } from './iam/user-added-to-admin-group.rule.ts';
import { rule as iamUserCreated } from './iam/user-created.rule.ts';
import { rule as inspectorDisabled } from './inspector/disabled.rule.ts';
import { rule as kinesisResourcePolicyOpened } from './kinesis/resource-policy-opened.rule.ts';
import { rule as kmsKeyDisabled } from './kms/key-disabled.rule.ts';
import { rule as kmsKeyMaterialOutsideKms } from './kms/key-material-outside-kms.rule.ts';
import { rule as kmsKeyPolicyOpened } from './kms/key-policy-opened.rule.ts';
import { rule as kmsOpenedKeyDisabled } from './kms/opened-key-disabled.rule.ts';
import { rule as kmsTrailwardenKeyTampered } from './kms/trailwarden-key-tampered.rule.ts';
import { rule as lambdaDeprecatedRuntime } from './lambda/deprecated-runtime.rule.ts';
import { rule as lambdaFunctionCodeReplaced } from './lambda/function-code-replaced.rule.ts';
import { rule as lambdaFunctionMadePublic } from './lambda/function-made-public.rule.ts';
import { rule as lambdaLayerMadePublic } from './lambda/layer-made-public.rule.ts';
import { rule as lambdaLayerOutsideOrganization } from './lambda/layer-outside-organization.rule.ts';
import { rule as lambdaPrivilegedRolePassed } from './lambda/privileged-role-passed.rule.ts';
import { rule as lambdaTrailwardenFunctionTampered } from './lambda/trailwarden-function-tampered.rule.ts';
import { rule as lightsailInstanceCredentialsRetrieved } from './lightsail/instance-credentials-retrieved.rule.ts';
import { rule as lightsailInstancePortsOpened } from './lightsail/instance-ports-opened.rule.ts';
import { rule as lightsailInstancesCreated } from './lightsail/instances-created.rule.ts';
import { rule as logsAuditLogGroupDeleted } from './logs/audit-log-group-deleted.rule.ts';
import { rule as logsLogDataDeletedBurst } from './logs/log-data-deleted-burst.rule.ts';
import { rule as logsSubscriptionOutsideOrganization } from './logs/subscription-outside-organization.rule.ts';
import { rule as macieDisabled } from './macie/disabled.rule.ts';
import { rule as macieMonitoringReduced } from './macie/monitoring-reduced.rule.ts';
import { rule as oamLinkOutsideOrganization } from './oam/link-outside-organization.rule.ts';
import { rule as oamSinkPolicyOpened } from './oam/sink-policy-opened.rule.ts';
import { rule as opensearchDomainPolicyOpened } from './opensearch/domain-policy-opened.rule.ts';
import { rule as organizationsGuardrailChanged } from './organizations/guardrail-changed.rule.ts';
import { rule as rdsActivityStreamStopped } from './rds/activity-stream-stopped.rule.ts';
import { rule as rdsAutomatedBackupsDeleted } from './rds/automated-backups-deleted.rule.ts';
import { rule as rdsBackupProtectionRemoved } from './rds/backup-protection-removed.rule.ts';
import { rule as rdsDatabaseDeleted } from './rds/database-deleted.rule.ts';
import { rule as rdsDatabaseDeletedWithoutBackup } from './rds/database-deleted-without-backup.rule.ts';
import { rule as rdsEncryptedWithOutsideKey } from './rds/encrypted-with-outside-key.rule.ts';
import { rule as rdsInstanceMadePublic } from './rds/instance-made-public.rule.ts';
import { rule as rdsMasterPasswordChanged } from './rds/master-password-changed.rule.ts';
import { rule as rdsRoleAddedToDatabase } from './rds/role-added-to-database.rule.ts';
import { rule as rdsSnapshotExported } from './rds/snapshot-exported.rule.ts';
import { rule as rdsSnapshotShared } from './rds/snapshot-shared.rule.ts';
import { rule as rdsSnapshotsDeletedBurst } from './rds/snapshots-deleted-burst.rule.ts';
import { rule as redshiftClusterDeleted } from './redshift/cluster-deleted.rule.ts';
import { rule as redshiftClusterMadePublic } from './redshift/cluster-made-public.rule.ts';
import { rule as redshiftWorkgroupMadePublic } from './redshift/workgroup-made-public.rule.ts';
import { rule as rolesanywhereTrustAnchorChanged } from './rolesanywhere/trust-anchor-changed.rule.ts';
import { rule as route53DnsProtectionRemoved } from './route53/dns-protection-removed.rule.ts';
import { rule as route53HostedZoneDeleted } from './route53/hosted-zone-deleted.rule.ts';
import { rule as route53domainsDomainTransferEnabled } from './route53domains/domain-transfer-enabled.rule.ts';
import { rule as route53domainsRegistrationRedirected } from './route53domains/registration-redirected.rule.ts';
import { rule as route53resolverQueryLoggingRemoved } from './route53resolver/query-logging-removed.rule.ts';
import { rule as s3AccessLoggingDisabled } from './s3/access-logging-disabled.rule.ts';
import { rule as s3AccessPointOpened } from './s3/access-point-opened.rule.ts';
import { rule as s3BatchJobCreated } from './s3/batch-job-created.rule.ts';
import { rule as s3BucketDeleted } from './s3/bucket-deleted.rule.ts';
import { rule as s3BucketMadePublic } from './s3/bucket-made-public.rule.ts';
import { rule as s3BucketProtectionWeakened } from './s3/bucket-protection-weakened.rule.ts';
import { rule as s3EncryptedWithOutsideKey } from './s3/encrypted-with-outside-key.rule.ts';
import { rule as s3ObjectsBulkDeleted } from './s3/objects-bulk-deleted.rule.ts';
import { rule as s3ObjectsDeletedBurst } from './s3/objects-deleted-burst.rule.ts';
import { rule as s3PublicAccessBlockRemoved } from './s3/public-access-block-removed.rule.ts';
import { rule as s3RansomNoteUploaded } from './s3/ransom-note-uploaded.rule.ts';
import { rule as s3ReplicationOutsideOrganization } from './s3/replication-outside-organization.rule.ts';
import { rule as s3TrailwardenBucketTampered } from './s3/trailwarden-bucket-tampered.rule.ts';
import { rule as sagemakerLifecycleConfigChanged } from './sagemaker/lifecycle-config-changed.rule.ts';
import { rule as secretsmanagerBatchRetrieval } from './secretsmanager/batch-retrieval.rule.ts';
import { rule as secretsmanagerResourcePolicyOpened } from './secretsmanager/resource-policy-opened.rule.ts';
import { rule as secretsmanagerSecretsDeletedBurst } from './secretsmanager/secrets-deleted-burst.rule.ts';
import { rule as secretsmanagerSecretsRetrievedBurst } from './secretsmanager/secrets-retrieved-burst.rule.ts';
import { rule as secretsmanagerTrailwardenSecretTampered } from './secretsmanager/trailwarden-secret-tampered.rule.ts';
import { rule as securityhubControlsWeakened } from './securityhub/controls-weakened.rule.ts';
import { rule as securityhubDisabled } from './securityhub/disabled.rule.ts';
import { rule as securityhubFindingsSuppressed } from './securityhub/findings-suppressed.rule.ts';
import { rule as sesIdentityDeleted } from './ses/identity-deleted.rule.ts';
import { rule as sesIdentityPolicyOpened } from './ses/identity-policy-opened.rule.ts';
import { rule as sesSendingEnabled } from './ses/sending-enabled.rule.ts';
import { rule as signinAnonymiser } from './signin/anonymiser.rule.ts';
import { rule as signinConcurrentSessions } from './signin/concurrent-sessions.rule.ts';
import { rule as signinConsoleLoginFailures } from './signin/console-login-failures.rule.ts';
import { rule as signinConsoleLoginWithoutMfa } from './signin/console-login-without-mfa.rule.ts';
import { rule as signinConsoleSessionFromKeys } from './signin/console-session-from-keys.rule.ts';
import { rule as signinMfaFailed } from './signin/mfa-failed.rule.ts';
import { rule as signinNewCountry } from './signin/new-country.rule.ts';
import { rule as signinNewNetwork } from './signin/new-network.rule.ts';
import { rule as signinNewSource } from './signin/new-source.rule.ts';
import { rule as signinOffHoursAccess } from './signin/off-hours-access.rule.ts';
import { rule as signinPasswordSpraying } from './signin/password-spraying.rule.ts';
import { rule as signinServiceUserConsoleLogin } from './signin/service-user-console-login.rule.ts';
import { rule as signinSuccessAfterFailures } from './signin/success-after-failures.rule.ts';
import { rule as snsTopicPolicyOpened } from './sns/topic-policy-opened.rule.ts';
import { rule as snsTrailwardenTopicTampered } from './sns/trailwarden-topic-tampered.rule.ts';
import { rule as sqsQueuePolicyOpened } from './sqs/queue-policy-opened.rule.ts';
import { rule as sqsQueuePurged } from './sqs/queue-purged.rule.ts';
import { rule as sqsTrailwardenQueueTampered } from './sqs/trailwarden-queue-tampered.rule.ts';
import { rule as ssmDocumentCreatedOutsideProcess } from './ssm/document-created-outside-process.rule.ts';
import { rule as ssmDocumentPutToWork } from './ssm/document-put-to-work.rule.ts';
import { rule as ssmDocumentSharedOutsideOrganization } from './ssm/document-shared-outside-organization.rule.ts';
import { rule as ssmParametersDecryptedBurst } from './ssm/parameters-decrypted-burst.rule.ts';
import { rule as ssmSessionsStartedBurst } from './ssm/sessions-started-burst.rule.ts';
import { rule as ssmSoftwareInstalled } from './ssm/software-installed.rule.ts';
import { rule as ssoAccountAssignmentCreated } from './sso/account-assignment-created.rule.ts';
import { rule as ssoIdentitySourceChanged } from './sso/identity-source-changed.rule.ts';
import { rule as ssoPermissionSetAdminGranted } from './sso/permission-set-admin-granted.rule.ts';
import { rule as stsFederationTokenIssued } from './sts/federation-token-issued.rule.ts';
import { rule as stsRootSessionAssumed } from './sts/root-session-assumed.rule.ts';
import { rule as wafv2IpSetChanged } from './wafv2/ip-set-changed.rule.ts';
import { rule as wafv2ProtectionRemoved } from './wafv2/protection-removed.rule.ts';

// Explicit registry: a rule exists once it is imported and listed here (the catalogue test checks every
// *.rule.ts file is). Imports are sorted by path; the list below is grouped by the Annex A areas of
// DESIGN §3, each group alphabetical.
export const RULES: readonly Rule[] = [
  // A.8.5 authentication
  rolesanywhereTrustAnchorChanged,
  stsFederationTokenIssued,
  stsRootSessionAssumed,
  iamIdentityProviderChanged,
  iamLoginProfileForAnotherUser,
  iamMfaDeviceDeactivated,
  iamPasswordPolicyWeakened,
  signinConcurrentSessions,
  signinConsoleLoginFailures,
  signinConsoleLoginWithoutMfa,
  signinConsoleSessionFromKeys,
  signinMfaFailed,
  signinNewSource,
  signinNewCountry,
  signinNewNetwork,
  signinAnonymiser,
  signinOffHoursAccess,
  signinPasswordSpraying,
  signinSuccessAfterFailures,
  ssoIdentitySourceChanged,
  ec2KeyPairOutsideProcess,
  ec2SuspiciousKeyPair,
  // A.8.2 privileged access
  ssmSessionsStartedBurst,
  ec2InstanceConnectSshKeyPushed,
  ec2PasswordDataRetrieved,
  secretsmanagerBatchRetrieval,
  secretsmanagerSecretsRetrievedBurst,
  ssmParametersDecryptedBurst,
  ec2UserDataReadBurst,
  accountRootActivity,
  iamAccessDeniedBurst,
  iamAccessKeyForAnotherUser,
  iamAdminGranted,
  iamCompromisedKeyQuarantine,
  iamAutomationRoleUsedInteractively,
  iamAuthorizationDetailsRead,
  iamExpiryTagTampered,
  iamPolicyChanged,
  iamRootAccessKeyCreated,
  iamSelfPrivilegeGrant,
  iamTrustPolicyOpened,
  iamUserAddedToAdminGroup,
  iamUserCreated,
  ssoAccountAssignmentCreated,
  ssoPermissionSetAdminGranted,
  // A.8.15 logging
  cloudtrailLoggingStopped,
  cloudtrailTrailDegraded,
  configRecorderStopped,
  ec2FlowLogsDeleted,
  logsAuditLogGroupDeleted,
  route53resolverQueryLoggingRemoved,
  s3AccessLoggingDisabled,
  // A.8.16 monitoring
  bedrockMonitoringRemoved,
  accountContactChanged,
  accountDangerousActionDenied,
  accountDiscoveryBurst,
  accessAnalyzerAnalyzerDeleted,
  cloudwatchAlarmsSilenced,
  configRulesDeleted,
  detectiveDisabled,
  datasyncTransferCreated,
  dynamodbTrailwardenTableTampered,
  eventsTrailwardenRulesTampered,
  cloudformationTrailwardenStacksTampered,
  guarddutyDetectorDisabled,
  guarddutyFindingsSuppressed,
  guarddutyMonitoringReduced,
  inspectorDisabled,
  kmsTrailwardenKeyTampered,
  lambdaTrailwardenFunctionTampered,
  macieDisabled,
  macieMonitoringReduced,
  s3TrailwardenBucketTampered,
  securityhubControlsWeakened,
  securityhubDisabled,
  secretsmanagerTrailwardenSecretTampered,
  snsTrailwardenTopicTampered,
  sqsTrailwardenQueueTampered,
  // A.5.23 cloud services
  apigatewayRestApiPolicyOpened,
  dynamodbResourcePolicyOpened,
  dynamodbTableExportedOutsideOrganization,
  dynamodbTableExportedOutsideProcess,
  ec2ImageShared,
  ec2InstanceExported,
  ec2TrafficMirrored,
  bedrockModelAccessChanged,
  bedrockNewModelInvoker,
  ec2SnapshotShared,
  ec2UnapprovedRegion,
  ecrRepositoryPolicyOpened,
  efsFileSystemPolicyOpened,
  glacierVaultPolicyOpened,
  kinesisResourcePolicyOpened,
  kmsKeyPolicyOpened,
  lambdaFunctionMadePublic,
  lambdaLayerMadePublic,
  opensearchDomainPolicyOpened,
  organizationsGuardrailChanged,
  rdsInstanceMadePublic,
  rdsSnapshotShared,
  rdsSnapshotExported,
  redshiftClusterMadePublic,
  redshiftWorkgroupMadePublic,
  s3AccessPointOpened,
  s3BucketMadePublic,
  s3BucketProtectionWeakened,
  s3PublicAccessBlockRemoved,
  s3RansomNoteUploaded,
  s3ReplicationOutsideOrganization,
  secretsmanagerResourcePolicyOpened,
  sesIdentityPolicyOpened,
  snsTopicPolicyOpened,
  sqsQueuePolicyOpened,
  ec2ComputeAbuseRefused,
  ec2UnusualInstanceTypeLaunched,
  // A.8.9 configuration
  ec2SerialConsoleEnabled,
  ec2ImdsV1Enabled,
  ec2UserDataModified,
  configBucketPublicDrift,
  configEncryptionRemovedDrift,
  configLoggingDrift,
  configRuleNoncompliant,
  configSecurityGroupDrift,
  ec2EbsDefaultEncryptionDisabled,
  ec2GatewayChanged,
  ec2IngressOpenToInternet,
  ec2NetworkAclChanged,
  ec2NetworkAclOpenToInternet,
  ec2RouteTableChanged,
  ec2SecurityGroupChanged,
  ec2VpcChanged,
  kmsKeyDisabled,
  // A.8.10 information deletion and A.8.13 backup (data destruction, ransomware, backups)
  rdsDatabaseDeleted,
  rdsDatabaseDeletedWithoutBackup,
  dynamodbTableDeleted,
  s3BucketDeleted,
  s3BatchJobCreated,
  elasticfilesystemFileSystemDeleted,
  redshiftClusterDeleted,
  esDomainDeleted,
  elasticacheClusterDeleted,
  ecrRepositoryDeleted,
  ec2StorageDeletedBurst,
  rdsSnapshotsDeletedBurst,
  logsLogDataDeletedBurst,
  secretsmanagerSecretsDeletedBurst,
  s3ObjectsDeletedBurst,
  s3ObjectsBulkDeleted,
  s3EncryptedWithOutsideKey,
  ec2EncryptedWithOutsideKey,
  rdsEncryptedWithOutsideKey,
  dynamodbEncryptedWithOutsideKey,
  backupPlanChanged,
  backupMonitoringRemoved,
  backupVaultProtectionRemoved,
  backupVaultPolicyOpened,
  backupRecoveryPointDeleted,
  rdsBackupProtectionRemoved,
  dynamodbBackupProtectionRemoved,
  kmsOpenedKeyDisabled,
  kmsKeyMaterialOutsideKms,
  // A.8.20 networks security (teardown)
  ec2NetworkTornDown,
  elasticloadbalancingLoadBalancerDeleted,
  route53HostedZoneDeleted,
  // A.8.19 installation of software (unapproved images, runtimes, layers, installs)
  lambdaFunctionCodeReplaced,
  sagemakerLifecycleConfigChanged,
  ec2UnapprovedImageLaunched,
  ec2LaunchTemplateUnapprovedImage,
  lambdaDeprecatedRuntime,
  lambdaLayerOutsideOrganization,
  ssmSoftwareInstalled,
  // A.8.2 service identities used interactively
  signinServiceUserConsoleLogin,
  iamServiceKeyNewNetwork,
  // Detection gaps measured against Stratus Red Team and Sigma (docs/ATTACK-COVERAGE.md)
  route53domainsDomainTransferEnabled,
  route53domainsRegistrationRedirected,
  securityhubFindingsSuppressed,
  glueDevEndpointRolePassed,
  lambdaPrivilegedRolePassed,
  rdsMasterPasswordChanged,
  elasticloadbalancingSecurityGroupsChanged,
  accountRegionEnabled,
  sesSendingEnabled,
  sesIdentityDeleted,
  accountOffensiveToolUsed,
  elasticfilesystemMountTargetChanged,
  // Gaps measured against Splunk security_content's remaining AWS detections (docs/ATTACK-COVERAGE.md)
  iamMfaDeviceForAnotherUser,
  iamTrustPolicyGuessing,
  eksClusterAdminGranted,
  eksEndpointMadePublic,
  eksClusterDeleted,
  eksControlPlaneLoggingDisabled,
  ecsTaskReadsCredentials,
  ecrImageScanningDisabled,
  wafv2ProtectionRemoved,
  eventsRuleDisabled,
  sqsQueuePurged,
  lightsailInstanceCredentialsRetrieved,
  lightsailInstancePortsOpened,
  lightsailInstancesCreated,
  directconnectConnectionChanged,
  directconnectPrivatePathCreated,
  // Gaps measured against Panther's CloudTrail rules and their test events (docs/ATTACK-COVERAGE.md)
  codebuildProjectMadePublic,
  rdsActivityStreamStopped,
  rdsAutomatedBackupsDeleted,
  ecrImagePushedOutsideProcess,
  ec2InstanceRoleChanged,
  rdsRoleAddedToDatabase,
  wafv2IpSetChanged,
  // Gaps measured against Elastic's detection-rules (docs/ATTACK-COVERAGE.md)
  ssmDocumentCreatedOutsideProcess,
  ssmDocumentPutToWork,
  ssmDocumentSharedOutsideOrganization,
  iamMfaDeviceRegisteredWithTemporaryKeys,
  // Gaps measured against Turbot's tailpipe detections: compute, storage, network and data (docs/ATTACK-COVERAGE.md)
  cloudfrontDistributionProtectionRemoved,
  codebuildBuildDefinitionChanged,
  ec2SourceDestCheckDisabled,
  elasticfilesystemBackupDisabled,
  ec2BlockPublicAccessDisabled,
  route53DnsProtectionRemoved,
  // Gaps measured against Turbot tailpipe's CloudTrail detections (docs/ATTACK-COVERAGE.md, identity and logging)
  logsSubscriptionOutsideOrganization,
  oamLinkOutsideOrganization,
  oamSinkPolicyOpened,
  eventsTargetOutsideOrganization,
];

export const catalogue = buildCatalogue(RULES);
