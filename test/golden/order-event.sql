ALTER VSCHEMA ON `commerce`.`order_event` ADD VINDEX `hash`(`customer_id`) USING `hash`;

CREATE TABLE `commerce`.`order_event` (
  `id` bigint NOT NULL,
  `priority` tinyint NOT NULL DEFAULT '50',
  `epoch` bigint NOT NULL DEFAULT '0',
  `time_next` bigint NULL DEFAULT '0',
  `time_acked` bigint NULL,
  `failure_reason` text NULL,
  `enqueued_at` bigint NULL,
  `failed_at` bigint NULL,
  `customer_id` bigint NOT NULL,
  `kind` enum('created','paid','shipped','cancelled') NOT NULL,
  `amount` decimal(30,10) NULL,
  `payload` json NOT NULL,
  PRIMARY KEY (`id`),
  INDEX `poller_idx` (`time_acked`, `priority`, `time_next` DESC)
) COMMENT='vitess_message,vt_ack_wait=30,vt_purge_after=86400,vt_batch_size=500,vt_cache_size=10000,vt_poller_interval=1,vt_max_backoff=3600,vt_message_cols=id|epoch|customer_id|kind|amount|payload';
