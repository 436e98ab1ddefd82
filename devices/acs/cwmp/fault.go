package cwmp

import "fmt"

// CPE fault codes (TR-069 Amendment 6 Table 58).
const (
	FaultMethodNotSupported   = 9000
	FaultRequestDenied        = 9001
	FaultInternal             = 9002
	FaultInvalidArguments     = 9003
	FaultResourcesExceeded    = 9004
	FaultInvalidName          = 9005
	FaultInvalidType          = 9006
	FaultInvalidValue         = 9007
	FaultNotWritable          = 9008
	FaultNotificationRejected = 9009
	FaultDownloadFailure      = 9010
	FaultUploadFailure        = 9011
	FaultTransferAuth         = 9012
	FaultUnsupportedProtocol  = 9013
	FaultMulticast            = 9014
	FaultContactServer        = 9015
	FaultAccessFile           = 9016
	FaultCompleteDownload     = 9017
	FaultFileCorrupted        = 9018
	FaultFileAuth             = 9019
)

var faultText = map[int]struct {
	soap, text string
}{
	9000: {"Server", "Method not supported"},
	9001: {"Server", "Request denied"},
	9002: {"Server", "Internal error"},
	9003: {"Client", "Invalid arguments"},
	9004: {"Server", "Resources exceeded"},
	9005: {"Client", "Invalid parameter name"},
	9006: {"Client", "Invalid parameter type"},
	9007: {"Client", "Invalid parameter value"},
	9008: {"Client", "Attempt to set a non-writable parameter"},
	9009: {"Server", "Notification request rejected"},
	9010: {"Server", "Download failure"},
	9011: {"Server", "Upload failure"},
	9012: {"Server", "File transfer server authentication failure"},
	9013: {"Server", "Unsupported protocol for file transfer"},
	9014: {"Server", "Download failure: unable to join multicast group"},
	9015: {"Server", "Download failure: unable to contact file server"},
	9016: {"Server", "Download failure: unable to access file"},
	9017: {"Server", "Download failure: unable to complete download"},
	9018: {"Server", "Download failure: file corrupted"},
	9019: {"Server", "Download failure: file authentication failure"},
}

// NewFault builds the Fault for a CPE fault code with its standard text.
func NewFault(code int, params ...ParamFault) *Fault {
	t, ok := faultText[code]
	if !ok {
		t.soap, t.text = "Server", fmt.Sprintf("Fault %d", code)
	}
	return &Fault{SOAPCode: t.soap, Code: code, String: t.text, ParamFail: params}
}

// FaultString is the standard text of a CPE fault code ("" if unknown).
func FaultString(code int) string { return faultText[code].text }

// Error makes a Fault usable as an error.
func (f *Fault) Error() string { return fmt.Sprintf("cwmp fault %d: %s", f.Code, f.String) }
