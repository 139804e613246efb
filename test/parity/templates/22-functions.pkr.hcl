# Converted from 22-functions.json by kiln hcl2_upgrade; review it before relying on it.
# Go template actions were translated to HCL expressions.
# {{timestamp}} became local.timestamp: a compact UTC date-time, not Unix seconds.

variable "who" {
  type    = string
  default = "Parity World"
}

locals {
  timestamp = regex_replace(timestamp(), "[- TZ:]", "")
}

source "docker" "fn" {
  image   = "kiln-test/busybox:1"
  pull    = false
  commit  = true
  changes = ["LABEL who=\"${upper(var.who)}\" type=${source.type} name=${source.name}"]
}

build {
  description = "template functions: user, upper, lower, split, replace, replace_all, build_name, build_type, pwd, template_dir, packer_version, build, pipes; time functions only in output"
  sources     = ["source.docker.fn"]

  provisioner "shell" {
    inline = [
      "echo '${upper("abc")} ${lower("DEF")} ${element(split("-", "a-b-c"), 1)} ${replace("foo boo", "o", "0")} ${replace("foo", "o", "0")}' > /fn.txt",
      "echo '${source.name} ${source.type} ${lower(var.who)} ${packer.version}' >> /fn.txt",
      "echo '${path.cwd}' > /pwd.txt",
      "[ \"$(hostname)\" = \"$(echo ${build.ID} | cut -c1-12)\" ] && echo id-matches-hostname > /build-id.txt",
      "echo '${build.ConnType}' > /conn-type.txt",
      "echo 'not in the image: ${local.timestamp} ${legacy_isotime("2006-01-02")} ${uuidv4()}'",
    ]
  }

  provisioner "file" {
    source      = "${path.root}/files/plain.txt"
    destination = "/from-template-dir.txt"
  }
}
