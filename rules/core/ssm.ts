/**
 * `AWS-`, `Amazon…` and `amzn…` document names are reserved: SSM refuses them to customers, so a recorded write
 * under such a name is AWS maintaining its own documents, and an association or share naming one runs a document
 * nobody in the account can have changed.
 */
export const isAwsOwnedDocumentName = (name: string | undefined): boolean =>
  name !== undefined && /^(aws-|amazon|amzn)/i.test(name);
