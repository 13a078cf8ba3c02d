/**
 * Compile-time test: the client extension on the tests' generated Prisma
 * client, typed by the specs (on the client and on `tx` in `$transaction`).
 * Nothing here runs.
 */
import { defineMessageTable } from '../../src/core/define';
import { vitessMessages } from '../../src/prisma/extension';
import type { PrismaClient } from '../prisma-client/client';

const emailJob = defineMessageTable({ table: 'email_job', columns: { recipient: 'varchar(320)', body: { type: 'json', nullable: true } } });

export async function extended(base: PrismaClient): Promise<string> {
  const prisma = base.$extends(vitessMessages({ emailJob }));
  // @ts-expect-error recipient is a string
  await prisma.$messages().emailJob.enqueue({ recipient: 42 });
  // @ts-expect-error no such table
  prisma.$messages().smsJob;
  return prisma.$transaction(async (tx) => {
    const { id } = await tx.$messages().emailJob.enqueue({ recipient: 'a@b.c' });
    return id;
  });
}
