ALTER VSCHEMA ON `commerce`.`odd_payload` ADD VINDEX `hash`(`id`) USING `hash`;

CREATE TABLE `commerce`.`odd_payload` (
  `id` bigint NOT NULL,
  `priority` tinyint NOT NULL DEFAULT '50',
  `epoch` bigint NOT NULL DEFAULT '0',
  `time_next` bigint NULL DEFAULT '0',
  `time_acked` bigint NULL,
  `failure_reason` text NULL,
  `enqueued_at` bigint NULL,
  `failed_at` bigint NULL,
  `doc` json NOT NULL,
  `amount` decimal(30,10) NOT NULL,
  `happened_at` datetime(6) NOT NULL,
  `state` enum('new','old','it''s') NOT NULL DEFAULT 'new',
  `raw` blob NULL,
  `big` bigint unsigned NOT NULL,
  `label` varchar(64) NOT NULL,
  `order` int NOT NULL DEFAULT '0',
  `key` varchar(32) NOT NULL,
  PRIMARY KEY (`id`),
  INDEX `poller_idx` (`time_acked`, `priority`, `time_next` DESC),
  UNIQUE INDEX `uq_odd_key_order` (`key`, `order`),
  INDEX `idx_odd_label` (`label`)
) COMMENT='vitess_message,vt_ack_wait=1,vt_purge_after=86400,vt_batch_size=100,vt_cache_size=1000,vt_poller_interval=0.5,vt_min_backoff=0.5,vt_max_backoff=2,vt_message_cols=id|epoch|doc|amount|happened_at|state|raw|big|label|order|key';
