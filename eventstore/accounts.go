package eventstore

import (
	"fmt"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
)

// The ledger's NATS accounts. The store lives where no client reaches it:
// the LEDGER stream, LEDGER_CHECKPOINTS, the snapshot buckets and serve's
// consumers are in StoreAccount, used only by serve. Every other client
// belongs to ClientsAccount, which imports the ledger's service (with the
// requester's identity shared, so the service knows who asks) and holds
// read-only copies of the two streams: mirrors, fed through a durable
// consumer of the store's, that accept no publish. A client chooses the
// reply subject of its requests, and the responders it can reach answer
// there with their own rights; every one of those responders answers in
// ClientsAccount (or through the import's mapped reply, back into it), so
// whatever subject a client names, nothing it does can touch the store.
const (
	StoreAccount   = "LEDGER"
	ClientsAccount = "LEDGER_CLIENTS"
)

// The copies: each copied stream has a durable push consumer of this name
// in the store account, delivering to copyDeliver(stream), which the
// store exports to the clients; the mirror of the same name in the
// clients account resets and flow-controls that consumer through the
// store's API under copyAPIPrefix, nothing else of it.
const (
	copyConsumer  = "clients-copy"
	copyAPIPrefix = "$JS.ledger.API"
)

// copiedStreams are the streams clients read copies of.
var copiedStreams = []string{StreamName, CheckpointStreamName}

func copyDeliver(stream string) string { return "ledger-copy." + stream }

// The subjects of the ledger's service and of service discovery.
const (
	serviceSubjects   = "ledgerapi.>"
	discoverySubjects = "$SRV.>"
)

// Users of the operator's configuration (OperatorAccounts). In the
// embedded server, serve's own connections use these names too, with
// passwords made up for each run that never leave the process.
const (
	serveUser  = "ledger-serve"  // the store account: serve itself
	copierUser = "ledger-copier" // the clients account: keeps the copies
)

// accountExports is what the store account offers the clients, and
// nothing more: the service, its discovery, and for each copied stream
// the three subjects its copy needs.
func accountExports() []exportSpec {
	out := []exportSpec{
		{service: serviceSubjects},
		{service: discoverySubjects, stream: true},
	}
	for _, s := range copiedStreams {
		out = append(out,
			exportSpec{service: "$JS.API.CONSUMER.RESET." + s + "." + copyConsumer, to: copyAPIPrefix + ".CONSUMER.RESET." + s + "." + copyConsumer},
			exportSpec{service: "$JS.FC." + s + "." + copyConsumer + ".*"},
			exportSpec{deliver: copyDeliver(s)},
		)
	}
	return out
}

// exportSpec is one export of the store account and its import in the
// clients account.
type exportSpec struct {
	service string // a service subject, or
	deliver string // a stream subject (a copy's deliveries)
	stream  bool   // the service answers with several messages
	to      string // the subject the clients import the service as, if another
}

// clientPermissions is what a client may do in its own account: call the
// ledger's service, discover it, and read the copies. The account is the
// boundary that protects the store; these permissions only keep one
// client from answering another's requests or forging its replies.
func clientPermissions() *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{
			Allow: []string{
				serviceSubjects, discoverySubjects,
				"$JS.API.INFO", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST",
				"$JS.API.STREAM.INFO.*", "$JS.API.STREAM.MSG.GET.*", "$JS.API.DIRECT.GET.>",
				"$JS.API.CONSUMER.CREATE.>", "$JS.API.CONSUMER.INFO.>", "$JS.API.CONSUMER.NAMES.*",
				"$JS.API.CONSUMER.LIST.*", "$JS.API.CONSUMER.MSG.NEXT.>", "$JS.API.CONSUMER.DELETE.>",
				"$JS.ACK.>", "$JS.FC.>",
			},
			// Replies travel to inboxes: a client that may publish there
			// can forge another client's answers.
			Deny: []string{"_INBOX.>", "$JS.API.CONSUMER.DURABLE.CREATE.>"},
		},
		Subscribe: &server.SubjectPermission{
			Allow: []string{"_INBOX.>"},
			// Whoever subscribes here sees other clients' requests and
			// could answer them first.
			Deny: []string{serviceSubjects, discoverySubjects, "$JS.API.>"},
		},
	}
}

// copierPermissions is what the copier may do in the clients account:
// manage the copies, nothing else.
func copierPermissions() *server.Permissions {
	var pub []string
	for _, s := range copiedStreams {
		for _, op := range []string{"CREATE", "UPDATE", "INFO", "DELETE"} {
			pub = append(pub, "$JS.API.STREAM."+op+"."+s)
		}
	}
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: append(pub, "$JS.API.INFO")},
		Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>", "$JS.EVENT.ADVISORY.STREAM.>"}},
	}
}

// accountsConfig writes the accounts block of a NATS server configuration
// for the ledger's layout. users, when set, adds the operator's users
// (OperatorAccounts), with their permissions as variables; the embedded
// server authenticates its own.
func accountsConfig(users bool, clientsJetStream bool) string {
	var b strings.Builder
	exports := accountExports()
	if users {
		fmt.Fprintf(&b, "# What a client may do in its own account: call the ledger, discover it, read\n"+
			"# the copies. (The account is what protects the store; these keep one client\n"+
			"# from answering another's requests.)\nLEDGER_CLIENT = %s\n", permissionsConfig(clientPermissions()))
		fmt.Fprintf(&b, "# What serve's copier may do in the clients' account: manage the copies.\nLEDGER_COPIER = %s\n\n", permissionsConfig(copierPermissions()))
	}
	fmt.Fprintf(&b, "accounts {\n  %s: {\n    jetstream: enabled\n", StoreAccount)
	if users {
		fmt.Fprintf(&b, "    users: [\n      # serve, every instance of it: the only one that writes\n      {user: %q, password: $LEDGER_SERVE_PASSWORD}\n    ]\n", serveUser)
	}
	b.WriteString("    exports: [\n")
	for _, e := range exports {
		switch {
		case e.deliver != "":
			fmt.Fprintf(&b, "      {stream: %q, accounts: [%s]}\n", e.deliver, ClientsAccount)
		case e.stream:
			fmt.Fprintf(&b, "      {service: %q, response_type: stream, accounts: [%s]}\n", e.service, ClientsAccount)
		default:
			fmt.Fprintf(&b, "      {service: %q, accounts: [%s]}\n", e.service, ClientsAccount)
		}
	}
	fmt.Fprintf(&b, "    ]\n  }\n  %s: {\n", ClientsAccount)
	if clientsJetStream {
		if users {
			// The copies, and nothing else: a client that makes the
			// clients' JetStream create a stream gets nowhere.
			fmt.Fprintf(&b, "    jetstream: {max_streams: %d}\n", len(copiedStreams))
		} else {
			b.WriteString("    jetstream: enabled\n")
		}
	}
	if users {
		fmt.Fprintf(&b, "    users: [\n      # serve keeps the read-only copies of LEDGER and LEDGER_CHECKPOINTS here (serve --clients-nats)\n      {user: %q, password: $LEDGER_COPIER_PASSWORD, permissions: $LEDGER_COPIER}\n", copierUser)
		b.WriteString("      # one user per person or tool: the NATS user name is the actor\n      {user: \"nina\", password: $NINA_PASSWORD, permissions: $LEDGER_CLIENT}\n")
		b.WriteString("      # an importer or a bot that records decisions for others\n      # (ledger token add importer --on-behalf, on serve's machine, grants it)\n      {user: \"importer\", password: $IMPORTER_PASSWORD, permissions: $LEDGER_CLIENT}\n    ]\n")
	}
	b.WriteString("    imports: [\n")
	for _, e := range exports {
		switch {
		case e.deliver != "":
			fmt.Fprintf(&b, "      {stream: {account: %s, subject: %q}}\n", StoreAccount, e.deliver)
		case e.to != "":
			fmt.Fprintf(&b, "      {service: {account: %s, subject: %q}, to: %q}\n", StoreAccount, e.service, e.to)
		case e.service == serviceSubjects || e.service == discoverySubjects:
			fmt.Fprintf(&b, "      {service: {account: %s, subject: %q}, share: true}\n", StoreAccount, e.service)
		default:
			fmt.Fprintf(&b, "      {service: {account: %s, subject: %q}}\n", StoreAccount, e.service)
		}
	}
	b.WriteString("    ]\n  }\n}\n")
	return b.String()
}

// permissionsConfig writes permissions in the configuration's syntax,
// one list a line.
func permissionsConfig(p *server.Permissions) string {
	list := func(s []string) string {
		q := make([]string, len(s))
		for i, v := range s {
			q[i] = fmt.Sprintf("%q", v)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	var b strings.Builder
	b.WriteString("{\n")
	for _, part := range []struct {
		name string
		sp   *server.SubjectPermission
	}{{"publish", p.Publish}, {"subscribe", p.Subscribe}} {
		if part.sp == nil {
			continue
		}
		fmt.Fprintf(&b, "  %s: {\n", part.name)
		if len(part.sp.Allow) > 0 {
			fmt.Fprintf(&b, "    allow: %s\n", list(part.sp.Allow))
		}
		if len(part.sp.Deny) > 0 {
			fmt.Fprintf(&b, "    deny: %s\n", list(part.sp.Deny))
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}")
	return b.String()
}

// OperatorAccounts returns the accounts block an operator puts in the
// configuration of every server of a NATS system that runs the ledger
// with --nats: the same layout as the embedded server, with users whose
// passwords come from the environment ($LEDGER_SERVE_PASSWORD for serve,
// $LEDGER_COPIER_PASSWORD for the copies, one per actor). "ledger
// accounts" prints it.
func OperatorAccounts() string {
	return "# Decision Ledger: the store account, which only serve uses, and the\n" +
		"# clients' account, which imports the ledger's service and reads copies.\n" +
		accountsConfig(true, true)
}
