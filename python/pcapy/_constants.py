"""pcapy's module constants: link types, directions, fanout modes."""

# Link-layer header types (DLT_*), as pcapy exports them.
DLT_NULL = 0
DLT_EN10MB = 1
DLT_IEEE802 = 6
DLT_ARCNET = 7
DLT_SLIP = 8
DLT_PPP = 9
DLT_FDDI = 10
DLT_ATM_RFC1483 = 11
DLT_RAW = 12
DLT_PPP_SERIAL = 50
DLT_PPP_ETHER = 51
DLT_C_HDLC = 104
DLT_IEEE802_11 = 105
DLT_LOOP = 108
DLT_LINUX_SLL = 113
DLT_LTALK = 114

# Capture directions for Reader.setdirection().
PCAP_D_INOUT = 0
PCAP_D_IN = 1
PCAP_D_OUT = 2

# Linux PACKET_FANOUT modes for Reader.set_fanout() (pcapy-ng).
PACKET_FANOUT_HASH = 0
PACKET_FANOUT_LB = 1
PACKET_FANOUT_CPU = 2
PACKET_FANOUT_ROLLOVER = 3
PACKET_FANOUT_RND = 4
