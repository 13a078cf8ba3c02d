ALTER VSCHEMA ON `commerce`.`spatial_payload` ADD VINDEX `hash`(`id`) USING `hash`;

CREATE TABLE `commerce`.`spatial_payload` (
  `id` bigint NOT NULL,
  `priority` tinyint NOT NULL DEFAULT '50',
  `epoch` bigint NOT NULL DEFAULT '0',
  `time_next` bigint NULL DEFAULT '0',
  `time_acked` bigint NULL,
  `failure_reason` text NULL,
  `enqueued_at` bigint NULL,
  `failed_at` bigint NULL,
  `place` point NOT NULL,
  `label` varchar(20) NOT NULL,
  PRIMARY KEY (`id`),
  INDEX `poller_idx` (`time_acked`, `priority`, `time_next` DESC),
  SPATIAL INDEX `sp_spatial_payload_place` (`place`)
) COMMENT='vitess_message,vt_ack_wait=30,vt_purge_after=86400,vt_batch_size=500,vt_cache_size=10000,vt_poller_interval=1,vt_max_backoff=3600,vt_message_cols=id|epoch|label';
