# Converted from 12-fix-upload-owner.json by kiln hcl2_upgrade; review it before relying on it.
# Go template actions were translated to HCL expressions.

source "docker" "owned" {
  image  = "kiln-test/busybox:1"
  pull   = false
  commit = true
  run_command = [
    "-d",
    "-i",
    "-t",
    "--user=1000:1000",
    "--entrypoint=/bin/sh",
    "--",
    "{{.Image}}",
  ]
}

source "docker" "unowned" {
  image            = "kiln-test/busybox:1"
  pull             = false
  commit           = true
  fix_upload_owner = false
  run_command = [
    "-d",
    "-i",
    "-t",
    "--user=1000:1000",
    "--entrypoint=/bin/sh",
    "--",
    "{{.Image}}",
  ]
}

build {
  description = "fix_upload_owner true (default) and false, with a container running as 1000:1000"
  sources     = ["source.docker.owned", "source.docker.unowned"]

  provisioner "file" {
    source      = "${path.root}/files/plain.txt"
    destination = "/tmp/plain.txt"
  }

  provisioner "file" {
    source      = "${path.root}/files/tree/"
    destination = "/tmp/tree"
  }
}
