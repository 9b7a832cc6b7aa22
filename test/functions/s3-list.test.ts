import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { listPages } from '../../functions/shared/adapters/s3-list.ts';

describe('listPages', () => {
  it('follows continuation tokens to the last page, sending StartAfter with the first request only', async () => {
    const s3 = mockClient(S3Client);
    s3.on(ListObjectsV2Command)
      .resolvesOnce({ Contents: [{ Key: 'p/a' }], IsTruncated: true, NextContinuationToken: 't1' })
      .resolvesOnce({ Contents: [{ Key: 'p/b' }], IsTruncated: true, NextContinuationToken: 't2' })
      .resolvesOnce({ Contents: [{ Key: 'p/c' }], IsTruncated: false, NextContinuationToken: 'ignored' });
    const keys: string[] = [];
    for await (const page of listPages(new S3Client({ region: 'us-east-1' }), {
      Bucket: 'b',
      Prefix: 'p/',
      Delimiter: '/',
      StartAfter: 'p/0',
    })) {
      keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
    }
    expect(keys).toEqual(['p/a', 'p/b', 'p/c']);
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'b', Prefix: 'p/', Delimiter: '/', StartAfter: 'p/0' },
      { Bucket: 'b', Prefix: 'p/', Delimiter: '/', ContinuationToken: 't1' },
      { Bucket: 'b', Prefix: 'p/', Delimiter: '/', ContinuationToken: 't2' },
    ]);
    s3.restore();
  });

  it('sends neither Delimiter nor StartAfter when not asked, and stops on an untruncated page', async () => {
    const s3 = mockClient(S3Client);
    s3.on(ListObjectsV2Command).resolves({ Contents: [], IsTruncated: false });
    let pages = 0;
    for await (const _ of listPages(new S3Client({ region: 'us-east-1' }), { Bucket: 'b', Prefix: '' })) pages++;
    expect(pages).toBe(1);
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toEqual([{ Bucket: 'b', Prefix: '' }]);
    s3.restore();
  });
});
