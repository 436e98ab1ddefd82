package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/boxlab/boxlab/devices/acs"
	"github.com/boxlab/boxlab/sim/ns"
)

// acsAPI reaches the operator API of a management server that runs in a
// kept run (boxlab run --keep), from inside the server's namespace: the API
// is never exposed outside the run's namespaces.
type acsAPI struct {
	run, server string
	port        int
	asJSON      bool
	caFile      string // an acs with tls: true: its CA (the run's <server>-ca.pem); https when set
	certFile    string // with client_cert require: the client certificate (the run's <server>-client.pem)
	keyFile     string
}

// transport is the HTTP transport through n: TLS checked against caFile
// when it is set.
func (a *acsAPI) transport(n *ns.NS) (*http.Transport, string, error) {
	t := &http.Transport{
		DialContext: func(ctx context.Context, nw, addr string) (net.Conn, error) { return n.DialContext(ctx, nw, addr) },
	}
	if a.caFile == "" {
		return t, "http", nil
	}
	b, err := os.ReadFile(a.caFile)
	if err != nil {
		return nil, "", fmt.Errorf("--cacert: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, "", fmt.Errorf("--cacert %s: no PEM certificate", a.caFile)
	}
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	if a.certFile != "" {
		c, err := tls.LoadX509KeyPair(a.certFile, a.keyFile)
		if err != nil {
			return nil, "", fmt.Errorf("--cert: %w", err)
		}
		t.TLSClientConfig.Certificates = []tls.Certificate{c}
	}
	return t, "https", nil
}

func (a *acsAPI) do(method, path string, body any, out any) error {
	nsPath, err := ns.Find(a.run, a.server)
	if err != nil {
		return fmt.Errorf("%w (the run must have been started with --keep and still be running)", err)
	}
	n, err := ns.Open(nsPath)
	if err != nil {
		return err
	}
	defer n.Close()
	t, scheme, err := a.transport(n)
	if err != nil {
		return err
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: t}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, fmt.Sprintf("%s://127.0.0.1:%d%s", scheme, a.port, path), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%s's operator API: %w", a.server, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if a.asJSON {
		os.Stdout.Write(b)
		return nil
	}
	return json.Unmarshal(b, out)
}

func acsCmd() *cobra.Command {
	a := &acsAPI{}
	cmd := &cobra.Command{
		Use:   "acs",
		Short: "Queue operator commands on a running management server and list its devices and commands",
		Long: `acs talks to the operator API of an acs server in a run started with
boxlab run --keep that is still running (in another terminal): the request
is made from inside the server's namespace.`,
	}
	f := cmd.PersistentFlags()
	f.StringVar(&a.run, "run", "", "run id, when several kept runs are alive")
	f.StringVar(&a.server, "server", "acs", "name of the acs server node")
	f.IntVar(&a.port, "port", 7547, "the server's http_port")
	f.BoolVar(&a.asJSON, "json", false, "print the API's JSON as it is")
	f.StringVar(&a.caFile, "cacert", "", "a server with tls: true: its CA certificate (the run's <server>-ca.pem); speaks HTTPS when set")
	f.StringVar(&a.certFile, "cert", "", "a server with client_cert require: a client certificate from its CA (the run's <server>-client.pem)")
	f.StringVar(&a.keyFile, "key", "", "the --cert's key (the run's <server>-client-key.pem)")

	devicesCmd := &cobra.Command{
		Use:   "devices",
		Short: "List the devices the server knows: online state, NAT detected, STUN binding",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			var devs []acs.DeviceView
			if err := a.do("GET", "/api/devices", nil, &devs); err != nil || a.asJSON {
				return err
			}
			w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "DEVICE\tONLINE\tNAT\tOBSERVED\tBINDING")
			for _, d := range devs {
				fmt.Fprintf(w, "%s\t%v\t%v\t%s\t%s\n", d.ID, d.Online, d.NAT, d.Observed, d.Binding)
			}
			return w.Flush()
		},
	}
	commandsCmd := &cobra.Command{
		Use:   "commands",
		Short: "List every queued command and its state",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			var jobs []acs.Job
			if err := a.do("GET", "/api/commands", nil, &jobs); err != nil || a.asJSON {
				return err
			}
			return printJobs(jobs)
		},
	}
	var q acs.QueueRequest
	queueCmd := &cobra.Command{
		Use:   "queue KIND",
		Short: "Queue a command (" + strings.Join(acs.Kinds, ", ") + ") for --device IDs or --select all|online",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			q.Kind = args[0]
			var jobs []acs.Job
			if err := a.do("POST", "/api/commands", q, &jobs); err != nil || a.asJSON {
				return err
			}
			return printJobs(jobs)
		},
	}
	qf := queueCmd.Flags()
	qf.StringSliceVar(&q.Devices, "device", nil, "device id (repeatable)")
	qf.StringVar(&q.Select, "select", "", "all or online, instead of --device")
	qf.StringVar(&q.Param, "param", "", "get/set: the parameter name; download: the URL")
	qf.StringVar(&q.Value, "value", "", "set: the value")
	cmd.AddCommand(devicesCmd, commandsCmd, queueCmd)
	return cmd
}

func printJobs(jobs []acs.Job) error {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tDEVICE\tKIND\tSTATE\tATTEMPTS\tRESULT")
	for _, j := range jobs {
		res := j.Result
		if j.Reason != "" {
			res = strings.TrimSpace(res + " " + j.Reason)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\n", j.ID, j.Device, j.Kind, j.State, j.Attempts, res)
	}
	return w.Flush()
}
