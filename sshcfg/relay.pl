# ssh-mosh relay (Perl): frames on stdin/stdout <-> one UDP server.
# A frame is a 16-bit big-endian length and that many bytes of datagram.
# Usage: perl -e "$this" HOST PORT. Exits at EOF on stdin, or when no
# datagram moved for IDLE seconds.
use strict;
use warnings;
use IO::Select;
my ($host, $port) = @ARGV;
my $idle = 60;
my $class = eval { require IO::Socket::IP; 'IO::Socket::IP' }
  || do { require IO::Socket::INET; 'IO::Socket::INET' };
# Sent from the server's own address: the datagrams stay on the host.
my $u = $class->new(Proto => 'udp', LocalAddr => $host, PeerAddr => $host, PeerPort => $port)
  or die "ssh-mosh relay: UDP $host:$port: $!\n";
binmode STDIN;
binmode STDOUT;
sub out {
  my $s = shift;
  while (length $s) {
    my $w = syswrite STDOUT, $s;
    exit 0 unless defined $w;
    substr($s, 0, $w) = '';
  }
}
out("\0SSH-MOSH-RELAY-1\n");
my $sel = IO::Select->new(\*STDIN, $u);
my $buf = '';
my $last = time;
while (1) {
  my @ready = $sel->can_read(5);
  exit 0 if !@ready && time - $last > $idle;
  for my $fh (@ready) {
    if ($fh == $u) {
      my $d = '';
      next unless defined $u->recv($d, 65535);
      $last = time;
      out(pack('n', length $d) . $d);
    } else {
      my $n = sysread STDIN, $buf, 65536, length $buf;
      exit 0 unless $n;
      $last = time;
      while (length $buf >= 2) {
        my $l = unpack 'n', $buf;
        last if length $buf < 2 + $l;
        my $d = substr $buf, 2, $l;
        substr($buf, 0, 2 + $l) = '';
        $u->send($d) if $l;
      }
    }
  }
}
