import type { ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';

export interface ListInput {
  readonly Bucket: string;
  readonly Prefix: string;
  readonly Delimiter?: string;
  /** Where the listing starts (exclusive); sent with the first request only, the continuation token goes on. */
  readonly StartAfter?: string;
}

/**
 * Every page of a ListObjectsV2 listing, following continuation tokens until S3 says the listing is whole. The
 * command is loaded on first use, so a function whose cold start does not list pays nothing for it.
 */
export async function* listPages(client: S3Client, input: ListInput): AsyncGenerator<ListObjectsV2CommandOutput> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: input.Bucket,
        Prefix: input.Prefix,
        ...(input.Delimiter === undefined ? {} : { Delimiter: input.Delimiter }),
        ...(token === undefined
          ? input.StartAfter === undefined
            ? {}
            : { StartAfter: input.StartAfter }
          : { ContinuationToken: token }),
      }),
    );
    yield page;
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}
