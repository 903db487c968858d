# SPDX-License-Identifier: Apache-2.0
#
# Homebrew formula: builds socket_vmnet from source on macOS. url and sha256
# name a source tarball; .github/workflows/macos.yml fills them in with one
# made by `git archive` and installs this formula from a local tap:
#   brew tap-new local/socket_vmnet
#   cp socket_vmnet.rb "$(brew --repository local/socket_vmnet)/Formula/"
#   brew install --build-from-source local/socket_vmnet/socket_vmnet
# The service runs the default network (shared mode, 192.168.105.0/24) as
# root, which vmnet.framework needs: sudo brew services start socket_vmnet.
class SocketVmnet < Formula
  desc "Ethernet switch for virtual machines over UNIX sockets"
  homepage "https://github.com/socket-vmnet/socket_vmnet"
  url "@URL@"
  version "@VERSION@"
  sha256 "@SHA256@"
  license "Apache-2.0"

  depends_on :macos

  def install
    system "make", "PREFIX=#{prefix}", "VERSION=#{version}", "install.bin", "install.doc"
    (pkgshare/"launchd").install Dir["launchd/*.plist"]
    (pkgshare/"sudoers.d").install "etc/sudoers.d/socket_vmnet"
    doc.install "README.md", "docs/MACOS.md", "docs/SECURITY.md"
  end

  def post_install
    (var/"run").mkpath
    (var/"log/socket_vmnet").mkpath
  end

  service do
    run [opt_bin/"socket_vmnet", "--vmnet-gateway=192.168.105.1",
         "--pidfile=#{var}/run/socket_vmnet.pid", var/"run/socket_vmnet"]
    require_root true
    keep_alive true
    process_type :interactive
    log_path var/"log/socket_vmnet/stdout"
    error_log_path var/"log/socket_vmnet/stderr"
  end

  test do
    assert_match "socket_vmnet version #{version}", shell_output("#{bin}/socket_vmnet --version")
    assert_predicate man8/"socket_vmnet.8", :exist?
    # An isolated network needs no root: it starts, serves its socket and
    # stops cleanly on SIGTERM, removing the socket.
    sock = testpath/"sock"
    pidfile = testpath/"pid"
    pid = spawn bin/"socket_vmnet", "--vmnet-mode=isolated", "--vmnet-gateway=192.168.107.1",
                "--pidfile=#{pidfile}", sock.to_s
    100.times do
      break if pidfile.exist? && pidfile.read.strip == pid.to_s

      sleep 0.1
    end
    assert_predicate sock, :socket?
    Process.kill("TERM", pid)
    Process.wait(pid)
    assert_equal 0, $CHILD_STATUS.exitstatus
    refute_predicate sock, :exist?
  end
end
