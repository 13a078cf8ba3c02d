// A Vitess messaging consumer on Vitess's own Go driver (vitessdriver), the
// baseline of bench/drain.ts: stream a message table into a buffer of -buffer
// ids, ack them from -ack-writers goroutines in batches of up to -ack-batch ids
// with one UPDATE ... WHERE id IN (...), stop once -n distinct ids were acked
// and print the drain rate (from the first delivery), the deliveries and the
// process CPU as JSON. The
// knobs match the subscriber's maxInFlight, ackConcurrency and ackBatchSize.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"vitess.io/vitess/go/vt/vitessdriver"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:27991", "vtgate gRPC address")
	keyspace := flag.String("keyspace", "commerce", "keyspace")
	table := flag.String("table", "", "message table")
	n := flag.Int64("n", 50000, "messages to ack before stopping")
	ackBatch := flag.Int("ack-batch", 500, "ids per ack UPDATE")
	ackWriters := flag.Int("ack-writers", 2, "ack UPDATEs in flight at once")
	buffer := flag.Int("buffer", 1000, "streamed ids held before reading pauses")
	flag.Parse()

	target := *keyspace + "@primary"
	stream, err := vitessdriver.OpenForStreaming(*addr, target)
	must(err)
	db, err := vitessdriver.Open(*addr, target)
	must(err)
	db.SetMaxOpenConns(*ackWriters + 2)

	ids := make(chan string, *buffer)
	var delivered atomic.Int64
	var mu sync.Mutex
	ackedIds := make(map[string]struct{}, *n)
	var once sync.Once
	done := make(chan struct{})
	// The clock starts at the first delivery: how long the tablet takes to open
	// a new table's message manager is not the drain (bench/drain.ts does the same).
	var start time.Time
	var started sync.Once

	// Ackers: one UPDATE per batch of ids (as many as arrived, up to ack-batch);
	// an id counts once its UPDATE returned, however often it was delivered.
	qualified := fmt.Sprintf("`%s`.`%s`", *keyspace, *table)
	for w := 0; w < *ackWriters; w++ {
		go func() {
			for {
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
				_, err := db.Exec(q, args...)
				must(err)
				mu.Lock()
				for _, id := range batch {
					ackedIds[id] = struct{}{}
				}
				count := int64(len(ackedIds))
				mu.Unlock()
				if count >= *n {
					once.Do(func() { close(done) })
				}
			}
		}()
	}

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
			started.Do(func() { start = time.Now() })
			delivered.Add(1)
			ids <- fmt.Sprint(asString(vals[0]))
		}
	}()
	<-done
	elapsed := time.Since(start)
	mu.Lock()
	acked := len(ackedIds)
	mu.Unlock()
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	out, _ := json.Marshal(map[string]any{"acked": acked, "delivered": delivered.Load(), "seconds": elapsed.Seconds(), "rate": float64(acked) / elapsed.Seconds(), "cpuSeconds": cpu})
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
