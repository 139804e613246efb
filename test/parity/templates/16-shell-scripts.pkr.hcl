# Converted from 16-shell-scripts.json by kiln hcl2_upgrade; review it before relying on it.
# Go template actions were translated to HCL expressions.

source "docker" "scripts" {
  image  = "kiln-test/busybox:1"
  pull   = false
  commit = true
}

build {
  description = "shell: script, scripts, environment_vars with quotes and shell syntax, execute_command"
  sources     = ["source.docker.scripts"]

  provisioner "shell" {
    script           = "${path.root}/files/one.sh"
    environment_vars = ["GREETING=hello world", "QUOTED=it's \"quoted\" $HOME `x` \\n; a=b"]
  }

  provisioner "shell" {
    scripts          = ["${path.root}/files/one.sh", "${path.root}/files/two.sh"]
    environment_vars = ["GREETING=again", "QUOTED=", "EQUALS=a=b=c"]
    execute_command  = "chmod +x {{ .Path }}; {{ .Vars }} {{ .Path }} arg-from-exec"
  }

  provisioner "shell" {
    inline = [
      "echo \"$EQUALS|$GREETING\" > /opt/parity/env.txt",
      "env | grep ^PACKER_ | sort > /opt/parity/packer-env.txt",
    ]
    environment_vars = ["EQUALS=a=b=c", "GREETING="]
  }
}
