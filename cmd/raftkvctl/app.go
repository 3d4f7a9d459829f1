package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/raftkv/raftkv/client"
)

// env is one run of raftkvctl: its input and outputs, its environment, the
// global flags and the printer they chose. Everything a command touches is
// here, so run can be called many times in one process (the tests do) and
// nothing carries over between calls.
type env struct {
	// ctx is canceled when the user interrupts (SIGINT, SIGTERM); its
	// cause is the exit code to end with (see main).
	ctx     context.Context
	stdin   io.Reader
	stdout  *bufio.Writer // flushed after each answer: see show
	rawOut  io.Writer     // the real stdout, for the commands lock and watch run
	stderr  io.Writer
	environ []string

	g          *globalFlags
	globalDefs *flagSet
	p          printer
	dashAt     int // how many arguments came before "--" (-1: none)

	mu  sync.Mutex // one answer at a time on stdout (interactive watch runs several watches)
	cli *client.Client
	// creds are --user, --password and --auth-jwt-token resolved, the
	// password asked for if need be: once per run, however many clients.
	creds *credentials
}

// run is raftkvctl: it parses args, runs the command and returns the exit
// code. main gives it the process's streams and environment; tests give it
// buffers.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) int {
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	e := &env{ctx: ctx, stdin: stdin, stdout: out, rawOut: stdout, stderr: stderr, environ: environ, dashAt: -1}
	e.globalDefs = newFlagSet()
	e.g = newGlobalFlags(e.globalDefs)
	defer func() {
		if e.cli != nil {
			e.cli.Close()
		}
	}()

	root := rootCommand()
	cmd, rest, err := root.find(args, e.takesValue)
	if err == nil {
		err = e.runCommand(cmd, rest)
	}
	out.Flush()
	if err != nil && ctx.Err() != nil {
		// Interrupted: end as the signal asks (see main), quietly, as
		// etcdctl does when it is killed.
		if cause := context.Cause(ctx); cause != nil && cause != ctx.Err() {
			err = cause
		}
	}
	if err != nil {
		printError(stderr, err)
		return exitCode(err)
	}
	return exitSuccess
}

// takesValue reports whether a global flag typed before the command
// ("-w json get foo") consumes the next argument.
func (e *env) takesValue(arg string) bool {
	var d *flagDef
	if strings.HasPrefix(arg, "--") {
		d = e.globalDefs.byName[arg[2:]]
	} else if len(arg) == 2 {
		d = e.globalDefs.byShort[arg[1:]]
	}
	return d != nil && !d.isBool
}

func (e *env) runCommand(cmd *command, args []string) error {
	local := newFlagSet()
	var runf runFunc
	if cmd.setup != nil {
		runf = cmd.setup(local)
	}
	help := local.Bool("help", "h", false, "help for "+cmd.name)
	all := newFlagSet()
	all.merge(local)
	all.merge(e.globalDefs)
	parsed, err := all.Parse(args)
	if err != nil {
		// cobra prints the error, then the command's usage, on stderr.
		fmt.Fprintln(e.stderr, "Error:", err)
		writeHelp(e.stderr, cmd, e.globalDefs)
		return &silentExit{code: exitError}
	}
	if *help || runf == nil {
		if runf == nil && len(parsed.args) > 0 {
			// etcdctl (cobra) shows the group's help and exits 0 here;
			// a typo deserves an error.
			return &unknownCommandError{name: parsed.args[0], parent: cmd}
		}
		return writeHelp(e.stdout, cmd, e.globalDefs)
	}
	e.dashAt = parsed.dashAt
	if !cmd.noEnv {
		if err := e.applyEnv(cmd); err != nil {
			return err
		}
		if e.p = newPrinter(*e.g.writeOut, e.stdout, e.stderr, *e.g.hex); e.p == nil {
			return withCode(exitBadFeature, errors.New("unsupported output format"))
		}
	}
	return runf(e, parsed.args)
}

// show prints one answer and flushes it at once: a watch or a lock must
// show each answer when it happens, not when the program ends.
func (e *env) show(print func(p printer) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	err := print(e.p)
	if ferr := e.stdout.Flush(); err == nil {
		err = ferr
	}
	return err
}

// printf writes a line that does not depend on -w (etcdctl prints
// "compacted revision 5" even with -w json), flushed as show does.
func (e *env) printf(format string, a ...any) error {
	return e.show(func(printer) error {
		_, err := fmt.Fprintf(e.stdout, format, a...)
		return err
	})
}

// globalFlags are etcdctl's global options (the ones raftkv has use for).
type globalFlags struct {
	endpoints          *[]string
	dialTimeout        *time.Duration
	commandTimeout     *time.Duration
	writeOut           *string
	hex                *bool
	cacert, cert, key  *string
	insecureSkipVerify *bool
	insecureTransport  *bool
	user, password     *string
	authToken          *string
}

func newGlobalFlags(fs *flagSet) *globalFlags {
	return &globalFlags{
		endpoints:      fs.StringSlice("endpoints", "", []string{"127.0.0.1:2379"}, "comma-separated client URLs of members (host:port, http:// or https://), tried in order"),
		dialTimeout:    fs.Duration("dial-timeout", "", 2*time.Second, "dial timeout for client connections"),
		commandTimeout: fs.Duration("command-timeout", "", 5*time.Second, "timeout for short running command (excluding dial timeout)"),
		writeOut:       fs.String("write-out", "w", "simple", "set the output format (fields, json, simple, table)"),
		hex:            fs.Bool("hex", "", false, "print byte strings as hex encoded strings"),
		cacert:         fs.String("cacert", "", "", "verify certificates of TLS-enabled secure servers using this CA bundle"),
		cert:           fs.String("cert", "", "", "identify secure client using this TLS certificate file"),
		key:            fs.String("key", "", "", "identify secure client using this TLS key file"),
		insecureSkipVerify: fs.Bool("insecure-skip-tls-verify", "", false,
			"skip server certificate verification (CAUTION: this option should be enabled only for testing purposes)"),
		insecureTransport: fs.Bool("insecure-transport", "", true, "disable transport security for client connections"),
		user:              fs.String("user", "", "", "username[:password] for authentication (prompt if password is not supplied)"),
		password:          fs.String("password", "", "", "password for authentication (if this option is used, --user option shouldn't include password)"),
		authToken: fs.String("auth-jwt-token", "", "",
			"JWT token used for authentication (if this option is used, --user and --password should not be set)"),
	}
}

// envPrefix names the environment variables that stand for the global
// flags: --dial-timeout is RAFTKVCTL_DIAL_TIMEOUT (etcdctl: ETCDCTL_*).
const envPrefix = "RAFTKVCTL_"

func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv sets each global flag that the command line did not set from its
// variable, with the rules of etcd's pkg/flags.SetPflagsFromEnv: a variable
// AND its flag is a fatal conflict (etcdctl 3.7), and a RAFTKVCTL_ variable
// that names no flag gets a warning (RAFTKVCTL_API=3, which the etcd
// tutorials export, is not needed).
func (e *env) applyEnv(cmd *command) error {
	vars := map[string]string{}
	for _, kv := range e.environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, envPrefix) {
			vars[k] = v
		}
	}
	known := map[string]bool{}
	if cmd.name == "watch" {
		known[envPrefix+"WATCH_KEY"], known[envPrefix+"WATCH_RANGE_END"] = true, true
	}
	for _, d := range e.globalDefs.defs {
		key := envName(d.name)
		val, ok := vars[key]
		if !ok {
			continue
		}
		if d.changed {
			// etcd's words, closing parenthesis doubled as etcdctl prints it.
			logLine(e.stderr, "fatal", "conflicting environment variable is shadowed by corresponding command-line flag (either unset environment variable or disable flag))", "environment-variable", key)
			return &silentExit{code: exitError}
		}
		known[key] = true
		if val == "" {
			continue
		}
		if err := d.value.Set(val); err != nil {
			return fmt.Errorf("invalid value %q for %s: %v", val, key, err)
		}
	}
	for _, kv := range e.environ {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, envPrefix) && !known[k] {
			logLine(e.stderr, "warn", "unrecognized environment variable", "environment-variable", kv)
		}
	}
	return nil
}

// getenv looks a variable up in the run's environment.
func (e *env) getenv(key string) string {
	for _, kv := range e.environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// client returns the run's client, built on first use. With --user it
// authenticates at once, within --dial-timeout, as etcdctl's client does
// when it is built: a wrong password ends the run with exit code 2 before
// any request is sent. (On a cluster without auth that succeeds and the
// client sends no token.)
func (e *env) client() (*client.Client, error) {
	if e.cli == nil {
		c, err := e.newClient(*e.g.endpoints)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(e.ctx, *e.g.dialTimeout)
		defer cancel()
		if err := c.Login(ctx); err != nil {
			c.Close()
			return nil, withCode(exitBadConnection, err)
		}
		e.cli = c
	}
	return e.cli, nil
}

// credentials are who the run's clients say they are.
type credentials struct {
	user, password, token string
}

// credentials resolves the authentication flags as etcdctl does: a token
// (--auth-jwt-token) wins; --user name:password; --user name with
// --password (the name is then taken whole, colons and all); or --user
// name alone, and the password is asked for ("Password: ").
func (e *env) credentials() (*credentials, error) {
	if e.creds != nil {
		return e.creds, nil
	}
	c := &credentials{token: *e.g.authToken}
	switch user := *e.g.user; {
	case c.token != "" || user == "":
	case *e.g.password != "":
		c.user, c.password = user, *e.g.password
	default:
		name, password, ok := strings.Cut(user, ":")
		if !ok {
			var err error
			if password, err = e.askPassword("Password: "); err != nil {
				return nil, err
			}
		}
		c.user, c.password = name, password
	}
	e.creds = c
	return c, nil
}

// newClient builds a client for some endpoints with the global options.
// --command-timeout bounds every request, etcdctl's retries included.
func (e *env) newClient(endpoints []string) (*client.Client, error) {
	tlsCfg, err := e.g.tlsConfig(endpoints)
	if err != nil {
		return nil, withCode(exitBadArgs, err)
	}
	creds, err := e.credentials()
	if err != nil {
		return nil, err
	}
	c, err := client.New(client.Config{
		Endpoints:      endpoints,
		DialTimeout:    *e.g.dialTimeout,
		RequestTimeout: *e.g.commandTimeout,
		TLS:            tlsCfg,
		Username:       creds.user,
		Password:       creds.password,
		Token:          creds.token,
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// request runs a short command's requests with the run's client, under
// --command-timeout.
func (e *env) request(do func(ctx context.Context, c *client.Client) error) error {
	c, err := e.client()
	if err != nil {
		return err
	}
	ctx, cancel := e.commandCtx()
	defer cancel()
	return do(ctx, c)
}

// commandCtx bounds a short command by --command-timeout.
func (e *env) commandCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(e.ctx, *e.g.commandTimeout)
}

// tlsConfig is nil (plain HTTP) unless a TLS option is set, an endpoint is
// https://, or --insecure-transport=false asks for TLS.
func (g *globalFlags) tlsConfig(endpoints []string) (*tls.Config, error) {
	useTLS := *g.cacert != "" || *g.cert != "" || *g.key != "" || *g.insecureSkipVerify || !*g.insecureTransport
	for _, ep := range endpoints {
		useTLS = useTLS || strings.HasPrefix(ep, "https://")
	}
	if !useTLS {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: *g.insecureSkipVerify}
	if (*g.cert == "") != (*g.key == "") {
		return nil, errors.New("--cert and --key must be given together")
	}
	if *g.cert != "" {
		pair, err := tls.LoadX509KeyPair(*g.cert, *g.key)
		if err != nil {
			return nil, fmt.Errorf("loading the client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	if *g.cacert != "" {
		pem, err := os.ReadFile(*g.cacert)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate found", *g.cacert)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
