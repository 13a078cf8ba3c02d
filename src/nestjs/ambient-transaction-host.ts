/**
 * Finds `@nestjs-cls/transactional`'s TransactionHost of a DataSource among the
 * application's providers, without importing that package (an optional peer
 * that an application without it does not have): a TransactionHost is known
 * by its shape, and it belongs to the DataSource whose manager its `tx` is.
 */
import type { DiscoveryService } from '@nestjs/core';
import type { DataSource, EntityManager } from 'typeorm';

/** The part of a TransactionHost (of the TypeORM adapter) the handles use. */
interface TransactionHostLike {
  readonly tx: unknown;
  isTransactionActive(): boolean;
  withTransaction(...args: unknown[]): Promise<unknown>;
}

function isTransactionHost(value: unknown): value is TransactionHostLike {
  const v = value as Partial<TransactionHostLike> | null;
  return v !== null && typeof v === 'object' && typeof v.isTransactionActive === 'function' && typeof v.withTransaction === 'function' && 'tx' in v;
}

/**
 * An `ambientManager` for `dataSource` from the application's TransactionHost,
 * or undefined when it has none. Outside a transaction a host's `tx` is its
 * adapter's fallback, `dataSource.manager`, so its `connection` says which
 * DataSource it serves.
 */
export function findAmbientManager(discovery: DiscoveryService, dataSource: DataSource): (() => EntityManager | undefined) | undefined {
  for (const wrapper of discovery.getProviders()) {
    const host: unknown = wrapper.isDependencyTreeStatic() ? wrapper.instance : undefined;
    if (!isTransactionHost(host)) continue;
    let tx: unknown;
    try {
      tx = host.tx;
    } catch {
      continue;
    }
    if ((tx as Partial<EntityManager> | undefined)?.connection !== dataSource) continue;
    return () => (host.isTransactionActive() ? (host.tx as EntityManager) : undefined);
  }
  return undefined;
}
