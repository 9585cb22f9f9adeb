package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
)

func init() { registerStep("events", demoEvents) }

// demoEvents reads the remediation events back from the queue with a real
// azservicebus receiver and prints type, subject and MessageID.
func demoEvents(d *demo) error {
	title(d.out, "Remediation events on the Service Bus queue (read back with azservicebus)")
	c, err := azservicebus.NewClientFromConnectionString(d.env["SERVICEBUS_CONNECTION_STRING"], nil)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	r, err := c.NewReceiverForQueue(d.env["SERVICEBUS_QUEUE"], nil)
	if err != nil {
		return err
	}
	defer r.Close(context.Background())
	counts := map[string]int{}
	shown := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		msgs, err := r.ReceiveMessages(ctx, 200, nil)
		cancel()
		if err != nil && ctx.Err() == nil {
			return err
		}
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			var ev struct {
				Type    string `json:"type"`
				Subject string `json:"subject"`
			}
			_ = json.Unmarshal(m.Body, &ev)
			counts[ev.Type]++
			if shown < 12 {
				fmt.Fprintf(d.out, "  %-44s %-60s %s\n", ev.Type, ev.Subject, m.MessageID)
				shown++
			}
			if err := r.CompleteMessage(context.Background(), m, nil); err != nil {
				return err
			}
		}
	}
	total := 0
	for t, n := range counts {
		fmt.Fprintf(d.out, "%6d × %s\n", n, t)
		total += n
	}
	fmt.Fprintf(d.out, "%d event(s) received\n", total)
	return nil
}
