// A Vitess messaging consumer on Vitess's own Go driver (vitessdriver), the
// baseline of bench/drain.ts: stream a message table, ack in batches of
// -ack-batch ids with one UPDATE ... WHERE id IN (...), stop after -n acks and
// print the drain rate as JSON.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"vitess.io/vitess/go/vt/vitessdriver"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:27991", "vtgate gRPC address")
	keyspace := flag.String("keyspace", "commerce", "keyspace")
	table := flag.String("table", "", "message table")
	n := flag.Int64("n", 50000, "messages to ack before stopping")
	ackBatch := flag.Int("ack-batch", 500, "ids per ack UPDATE")
	flag.Parse()

	target := *keyspace + "@primary"
	stream, err := vitessdriver.OpenForStreaming(*addr, target)
	must(err)
	db, err := vitessdriver.Open(*addr, target)
	must(err)
	db.SetMaxOpenConns(4)

	ids := make(chan string, 10000)
	var acked atomic.Int64
	done := make(chan struct{})
	start := time.Now()

	// Acker: one UPDATE per batch of ids (as many as arrived, up to ack-batch).
	go func() {
		qualified := fmt.Sprintf("`%s`.`%s`", *keyspace, *table)
		for acked.Load() < *n {
			batch := []string{<-ids}
		fill:
			for len(batch) < *ackBatch {
				select {
				case id := <-ids:
					batch = append(batch, id)
				default:
					break fill
				}
			}
			args := make([]any, 0, len(batch)+1)
			args = append(args, time.Now().UnixNano())
			marks := make([]string, len(batch))
			for i, id := range batch {
				marks[i] = fmt.Sprintf(":v%d", i+2)
				args = append(args, id)
			}
			q := fmt.Sprintf("update %s set time_acked = :v1, time_next = null where id in (%s) and time_acked is null", qualified, strings.Join(marks, ", "))
			res, err := db.Exec(q, args...)
			must(err)
			affected, _ := res.RowsAffected()
			acked.Add(affected)
		}
		close(done)
	}()

	rows, err := stream.Query(fmt.Sprintf("stream * from `%s`.`%s`", *keyspace, *table))
	must(err)
	cols, err := rows.Columns()
	must(err)
	go func() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			must(rows.Scan(ptrs...))
			ids <- fmt.Sprint(asString(vals[0]))
		}
	}()
	<-done
	elapsed := time.Since(start)
	out, _ := json.Marshal(map[string]any{"acked": acked.Load(), "seconds": elapsed.Seconds(), "rate": float64(acked.Load()) / elapsed.Seconds()})
	fmt.Println(string(out))
	os.Exit(0)
}

func asString(v any) string {
	switch t := v.(type) {
	case []byte:
		return string(t)
	default:
		return fmt.Sprint(t)
	}
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
