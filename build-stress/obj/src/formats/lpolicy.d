build-stress/obj/src/formats/lpolicy.o: src/formats/lpolicy.c \
 include/macext/boot.h include/macext/core.h include/macext/err.h \
 include/macext/rd.h
include/macext/boot.h:
include/macext/core.h:
include/macext/err.h:
include/macext/rd.h:
